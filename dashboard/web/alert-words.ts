import type { AlertRuleName } from './alerts-types.js';

/** Each rule in words, as the notifications word it (web-alerts-contract.test checks). */
export const RULE_LABELS: Record<AlertRuleName, string> = {
  high_temperature: 'Temperature high',
  frost: 'Frost',
  humidity: 'Humidity out of range',
  offline: 'Offline',
  battery: 'Battery low',
  readings_lost: 'Readings lost',
};
