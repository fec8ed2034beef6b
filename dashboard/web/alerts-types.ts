/** The alerts' wire shapes, mirrored from dashboard/src/alerts (the page is compiled on its own). */
export type AlertRuleName =
  | 'high_temperature'
  | 'frost'
  | 'humidity'
  | 'offline'
  | 'battery'
  | 'readings_lost';
export const ALERT_RULE_NAMES: readonly AlertRuleName[] = [
  'high_temperature',
  'frost',
  'humidity',
  'offline',
  'battery',
  'readings_lost',
];

export interface Incident {
  id: number;
  device_id: string;
  rule: AlertRuleName;
  state: 'open' | 'resolved';
  opened_at: string;
  resolved_at: string | null;
  value: number | null;
  threshold: number | null;
  resolved_value: number | null;
  unit: string;
}

export interface IncidentsResponse {
  incidents: Incident[];
  open: number;
  total: number;
  limit: number;
  offset: number;
}

/** Each rule's fields: `enabled` and numbers (`above` may be null: the device's own seuil_alerte). */
export type RuleFields = Record<string, boolean | number | null>;
export interface RulesResponse {
  defaults: Record<AlertRuleName, RuleFields>;
  devices: Record<string, Partial<Record<AlertRuleName, RuleFields>>>;
}

export type ChannelKind = 'webhook' | 'ntfy' | 'slack' | 'telegram';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'ntfy', 'slack', 'telegram'];
export type ChannelsSettings = Record<ChannelKind, Record<string, string | null> | null>;
export interface ChannelsResponse {
  channels: ChannelsSettings;
}

export interface ChannelResult {
  channel: ChannelKind;
  ok: boolean;
  status: number | null;
  error: string | null;
}
export interface ChannelTestResponse {
  results: ChannelResult[];
}
