import { describeValue } from '@fleet/shared';
import { ValidationError } from '../errors.js';

export const CHANNEL_KINDS = ['webhook', 'ntfy', 'slack', 'telegram'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Each channel's settings. `token`s and URLs may hold secrets: they are stored, and returned masked. */
export interface ChannelSettings {
  /** Generic JSON POST; `token`, when set, is sent as `Authorization: Bearer`. */
  webhook: { url: string; token: string | null };
  /** ntfy: the topic's URL (`https://ntfy.sh/my-topic`); `token` as `Authorization: Bearer`. */
  ntfy: { url: string; token: string | null };
  /** A Slack-compatible incoming webhook (Discord: the webhook URL followed by `/slack`). */
  slack: { url: string };
  /** Telegram Bot API sendMessage. */
  telegram: { bot_token: string; chat_id: string };
}
export type Channels = { [K in ChannelKind]: ChannelSettings[K] | null };

export const NO_CHANNELS: Channels = { webhook: null, ntfy: null, slack: null, telegram: null };

/** What masks a secret in an answer; a value sent back masked keeps the stored one. */
export const MASK = '••••';

interface FieldSpec {
  accepted: string;
  check: (value: string) => boolean;
  secret: 'url' | 'all';
  optional?: boolean;
}

const isHttpUrl = (value: string): boolean => {
  if (value.length > 2000) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
};
const URL_FIELD: FieldSpec = {
  accepted: 'an http:// or https:// URL of at most 2000 characters',
  check: isHttpUrl,
  secret: 'url',
};
const TOKEN_FIELD: FieldSpec = {
  accepted: 'null, or 1 to 500 characters without spaces',
  check: (value) => /^\S{1,500}$/.test(value),
  secret: 'all',
  optional: true,
};

const FIELDS: { [K in ChannelKind]: { [F in keyof ChannelSettings[K]]-?: FieldSpec } } = {
  webhook: { url: URL_FIELD, token: TOKEN_FIELD },
  ntfy: { url: URL_FIELD, token: TOKEN_FIELD },
  slack: { url: URL_FIELD },
  telegram: {
    bot_token: {
      accepted: 'a bot token as BotFather gives it, e.g. "123456:ABC-DEF…"',
      check: (value) => /^\d{1,20}:[A-Za-z0-9_-]{10,200}$/.test(value),
      secret: 'all',
    },
    chat_id: {
      accepted: 'a chat id (a whole number, negative for a group) or "@channelname"',
      check: (value) => /^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/.test(value),
      secret: 'all',
    },
  },
};

/** A secret shown masked: a URL keeps its scheme and host (where it goes), the rest is hidden. */
export function mask(value: string, secret: 'url' | 'all'): string {
  if (secret === 'url') {
    try {
      return `${new URL(value).origin}/${MASK}`;
    } catch {
      return MASK;
    }
  }
  return MASK;
}

/** The channels as the API shows them: every secret masked. */
export function maskChannels(channels: Channels): Channels {
  const out = { ...NO_CHANNELS } as Record<ChannelKind, Record<string, string | null> | null>;
  for (const kind of CHANNEL_KINDS) {
    const settings = channels[kind] as Record<string, string | null> | null;
    if (!settings) continue;
    const specs = FIELDS[kind] as Record<string, FieldSpec>;
    out[kind] = Object.fromEntries(
      Object.entries(settings).map(([name, value]) => [
        name,
        value === null ? null : mask(value, specs[name]?.secret ?? 'all'),
      ]),
    );
  }
  return out as unknown as Channels;
}

/** The secrets of the channels, to redact from anything logged or answered. */
export function secretsOf(channels: Channels): string[] {
  const secrets: string[] = [];
  for (const kind of CHANNEL_KINDS) {
    const settings = channels[kind] as Record<string, string | null> | null;
    if (!settings) continue;
    for (const value of Object.values(settings)) if (value) secrets.push(value);
  }
  return secrets;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads `PUT /api/alerts/channels`: each channel present is set (an object) or removed (null), an absent
 * one is kept. A secret sent back as the API showed it (masked) keeps the stored value. The first problem
 * throws a ValidationError naming the field, the value received (never a secret's) and what is accepted.
 */
export function parseChannels(body: unknown, current: Channels): Channels {
  if (!isObject(body)) {
    throw new ValidationError(
      `The request body received ${describeValue(body)}; accepted: a JSON object of channels (${CHANNEL_KINDS.join(', ')}), each an object or null.`,
    );
  }
  const next: Record<string, unknown> = { ...current };
  for (const [kind, settings] of Object.entries(body)) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) {
      throw new ValidationError(
        `Field ${JSON.stringify(kind)} is not a channel; accepted: ${CHANNEL_KINDS.join(', ')}.`,
      );
    }
    const specs = FIELDS[kind as ChannelKind] as Record<string, FieldSpec>;
    if (settings === null) {
      next[kind] = null;
      continue;
    }
    if (!isObject(settings)) {
      throw new ValidationError(
        `Field "${kind}" received ${describeValue(settings)}; accepted: null (no ${kind} channel) or an object with ${Object.keys(specs).join(', ')}.`,
      );
    }
    for (const name of Object.keys(settings)) {
      if (!specs[name]) {
        throw new ValidationError(
          `Field "${kind}.${name}" is not accepted; accepted: ${Object.keys(specs).join(', ')}.`,
        );
      }
    }
    const stored = current[kind as ChannelKind] as Record<string, string | null> | null;
    const out: Record<string, string | null> = {};
    for (const [name, spec] of Object.entries(specs)) {
      let value = settings[name];
      if (value === undefined && spec.optional) value = null;
      if (typeof value === 'string' && value.includes(MASK)) {
        const kept = stored?.[name];
        if (!kept || mask(kept, spec.secret) !== value) {
          throw new ValidationError(
            `Field "${kind}.${name}" received a masked value that is not the stored one's; accepted: ${spec.accepted}.`,
          );
        }
        value = kept;
      }
      const ok = (value === null && spec.optional) || (typeof value === 'string' && spec.check(value));
      if (!ok) {
        const received =
          typeof value === 'string' ? `a text of ${value.length} characters` : describeValue(value);
        throw new ValidationError(
          `Field "${kind}.${name}" received ${received}; accepted: ${spec.accepted}.`,
        );
      }
      out[name] = value as string | null;
    }
    next[kind] = out;
  }
  return next as unknown as Channels;
}

/** The channels that are set, in a fixed order. */
export function configuredKinds(channels: Channels): ChannelKind[] {
  return CHANNEL_KINDS.filter((kind) => channels[kind] !== null);
}
