import type { ChannelKind, ChannelSettings } from './channels.js';
import type { OutgoingRequest } from './http-client.js';
import type { RuleName } from './rules.js';

/** An incident as the API and the notifications show it. */
export interface Incident {
  id: number;
  device_id: string;
  rule: RuleName;
  state: 'open' | 'resolved';
  /** ISO 8601, UTC. */
  opened_at: string;
  resolved_at: string | null;
  /** The value that raised it, in `unit`. */
  value: number | null;
  /** The limit it crossed, in `unit`. */
  threshold: number | null;
  /** The value that resolved it (null while open, or when presence or a forgotten device resolved it). */
  resolved_value: number | null;
  unit: string;
}

export type NoticeEvent = 'opened' | 'resolved' | 'test';

/** What a channel is told: an incident that opened or was resolved (or a sample, for the test button). */
export interface Notice {
  event: NoticeEvent;
  incident: Incident;
}

export const RULE_UNITS: Record<RuleName, string> = {
  high_temperature: '°C',
  frost: '°C',
  humidity: '%',
  offline: 'min',
  battery: '%',
  readings_lost: 'readings',
};

/** Each rule in words, in the notifications; the page shows the same (web/alerts-panel.ts RULE_LABELS). */
export const RULE_WORDS: Record<RuleName, string> = {
  high_temperature: 'Temperature high',
  frost: 'Frost',
  humidity: 'Humidity out of range',
  offline: 'Offline',
  battery: 'Battery low',
  readings_lost: 'Readings lost',
};

const show = (value: number | null, unit: string) =>
  value === null ? '?' : `${Math.round(value * 10) / 10}${unit === '°C' || unit === '%' ? '' : ' '}${unit}`;

/** The limit in words: above, below, for, at least. */
function limitText(incident: Incident): string {
  const { rule, value, threshold, unit } = incident;
  switch (rule) {
    case 'high_temperature':
      return `above ${show(threshold, unit)}`;
    case 'frost':
    case 'battery':
      return `below ${show(threshold, unit)}`;
    case 'humidity':
      return value !== null && threshold !== null && value > threshold
        ? `above ${show(threshold, unit)}`
        : `below ${show(threshold, unit)}`;
    case 'offline':
      return `limit ${show(threshold, unit)}`;
    case 'readings_lost':
      return `at least ${show(threshold, unit)}`;
  }
}

/** The title of a notice, e.g. "Frost on greenhouse-1" or "Resolved: Frost on greenhouse-1". */
export function noticeTitle(notice: Notice): string {
  const what = `${RULE_WORDS[notice.incident.rule]} on ${notice.incident.device_id}`;
  if (notice.event === 'resolved') return `Resolved: ${what}`;
  if (notice.event === 'test') return `Test: ${what}`;
  return what;
}

/** One line: title, value and limit; for a resolved incident, how long it was open. */
export function noticeText(notice: Notice): string {
  const { incident } = notice;
  const raised = `${show(incident.value, incident.unit)}, ${limitText(incident)}`;
  if (notice.event === 'resolved') {
    const open = incident.resolved_at
      ? Math.max(0, Math.round((Date.parse(incident.resolved_at) - Date.parse(incident.opened_at)) / 60_000))
      : 0;
    const now =
      incident.resolved_value === null ? '' : `${show(incident.resolved_value, incident.unit)} now; `;
    return `${noticeTitle(notice)} (${now}raised at ${raised}; open ${open} min)`;
  }
  const test = notice.event === 'test' ? ' — a sample sent by the dashboard, not a real incident' : '';
  return `${noticeTitle(notice)}: ${raised}${test}`;
}

/** The generic webhook's JSON (documented in the README). `id` is the same on each attempt: deduplicate by it. */
export function webhookJson(notice: Notice, sentAt: Date) {
  return {
    id: `incident-${notice.incident.id}-${notice.event}`,
    event: notice.event,
    text: noticeText(notice),
    incident: notice.incident,
    sent_at: sentAt.toISOString(),
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The HTTP request that tells `kind` about `notice`. */
export function requestFor<K extends ChannelKind>(
  kind: K,
  settings: ChannelSettings[K],
  notice: Notice,
  options: { telegramApi: string; now: Date },
): OutgoingRequest {
  switch (kind) {
    case 'webhook': {
      const { url, token } = settings as ChannelSettings['webhook'];
      return {
        url,
        headers: { ...JSON_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(webhookJson(notice, options.now)),
      };
    }
    case 'ntfy': {
      const { url, token } = settings as ChannelSettings['ntfy'];
      const resolved = notice.event === 'resolved';
      return {
        url,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          // HTTP headers are Latin-1: ntfy reads RFC 2047 encoded words for anything else (°, é).
          title: encodeHeader(noticeTitle(notice)),
          priority: resolved ? '3' : notice.event === 'test' ? '2' : '4',
          tags: resolved ? 'white_check_mark' : notice.event === 'test' ? 'test_tube' : 'warning',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: noticeText(notice),
      };
    }
    case 'slack': {
      const { url } = settings as ChannelSettings['slack'];
      return { url, headers: JSON_HEADERS, body: JSON.stringify({ text: noticeText(notice) }) };
    }
    case 'telegram': {
      const { bot_token, chat_id } = settings as ChannelSettings['telegram'];
      return {
        url: `${options.telegramApi.replace(/\/$/, '')}/bot${bot_token}/sendMessage`,
        headers: JSON_HEADERS,
        body: JSON.stringify({ chat_id, text: noticeText(notice), disable_web_page_preview: true }),
      };
    }
  }
  throw new Error(`No format for channel ${kind}`);
}

/** ASCII as it is; anything else as an RFC 2047 encoded word (UTF-8, base64). */
export function encodeHeader(text: string): string {
  if ([...text].every((char) => char >= ' ' && char <= '~')) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}
