import type { Clock, Logger } from '@fleet/shared';
import { counted } from '../counted.js';
import type { AlertSettings } from './alert-settings.js';
import type { AlertStorage, PendingNotification } from './alert-storage.js';
import { type ChannelKind, type Channels, configuredKinds, MASK } from './channels.js';
import { type Notice, requestFor } from './formats.js';
import type { HttpClient } from './http-client.js';

export const TELEGRAM_API = 'https://api.telegram.org';

export interface NotifierDeps {
  store: Pick<
    AlertStorage,
    'due' | 'dueNow' | 'nextDue' | 'markSent' | 'markFailed' | 'giveUp' | 'pendingCount' | 'oldestPending'
  >;
  settings: Pick<AlertSettings, 'channels' | 'secrets'>;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  /** Telegram's Bot API (default https://api.telegram.org); tests point it at a local server. */
  telegramApi?: string;
  /** First delay after a failed attempt (default 10 s), doubling up to `retryMaxMs` (default 15 min). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Attempts before a notification is given up (default 20: about 3 h with the default delays). */
  maxAttempts?: number;
  /** Notifications waiting at most (default 1000); past it the oldest are given up. */
  maxPending?: number;
}

/** One channel's answer to the test button. */
export interface ChannelResult {
  channel: ChannelKind;
  ok: boolean;
  /** The service's HTTP status; null when no answer came. */
  status: number | null;
  /** Why it failed, in one sentence (secrets masked); null when it worked. */
  error: string | null;
}

/**
 * Sends the queued notifications (alert_notifications): each one is marked sent only after its service
 * answered 2xx, so a stop or a crash before that sends it again at the next start (at least once, with the
 * same `id` for the webhook). A failure waits with back-off and is tried again, up to `maxAttempts`; the
 * queue is bounded by `maxPending`. Each failure is logged in one sentence without the URL or token.
 */
export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private abort = new AbortController();
  readonly counts = { sent: new Map<ChannelKind, number>(), failed: new Map<ChannelKind, number>() };

  constructor(private readonly deps: NotifierDeps) {}

  /** Tries every pending notification at once (a restart is a good time to), then as each falls due. */
  async start(): Promise<number> {
    if (this.started) return 0;
    this.started = true;
    this.abort = new AbortController();
    const pending = await this.deps.store.pendingCount();
    await this.deps.store.dueNow(this.now());
    this.wake();
    return pending;
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.running;
  }

  /** Sends what is due soon (an incident just opened or was resolved). */
  wake(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.run()
      .catch((error: unknown) => {
        // The database refused (the queue stays as it was): logged, and tried again at the next wake or start.
        this.deps.logger.error({ err: error }, 'The notification queue could not be read or updated');
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else void this.schedule();
      });
  }

  /** Sends `notice` to every configured channel now, outside the queue: the test button. */
  async sendTest(notice: Notice): Promise<ChannelResult[]> {
    const channels = this.deps.settings.channels;
    return Promise.all(
      configuredKinds(channels).map(async (channel) => {
        const outcome = await this.send(channel, channels, notice);
        return { channel, ok: outcome.ok, status: outcome.status, error: outcome.error };
      }),
    );
  }

  private async run(): Promise<void> {
    await this.bound();
    for (;;) {
      const due = await this.deps.store.due(this.now(), 20);
      if (due.length === 0 || !this.started) return;
      for (const notification of due) {
        if (!this.started) return;
        await this.deliver(notification);
      }
    }
  }

  private async deliver(notification: PendingNotification): Promise<void> {
    const { store, logger } = this.deps;
    const channels = this.deps.settings.channels;
    const { channel, incident, event } = notification;
    const about = {
      notification: notification.id,
      incident: incident.id,
      device_id: incident.device_id,
      rule: incident.rule,
      event,
      channel,
    };
    if (!channels[channel]) {
      await store.giveUp(notification.id, this.now(), 'the channel was removed', 0);
      logger.warn(
        about,
        `The ${channel} notification of incident ${incident.id} (${event}) is dropped: the channel was removed`,
      );
      return;
    }
    const outcome = await this.send(channel, channels, { event, incident });
    if (outcome.aborted) return; // stopping: it stays queued for the next start
    const now = this.now();
    const attempts = notification.attempts + 1;
    if (outcome.ok) {
      await store.markSent(notification.id, now);
      this.count('sent', channel);
      logger.info({ ...about, attempts }, `Notification sent: ${channel}, incident ${incident.id} ${event}`);
      return;
    }
    this.count('failed', channel);
    const max = this.deps.maxAttempts ?? 20;
    if (attempts >= max) {
      await store.giveUp(notification.id, now, outcome.error ?? 'failed', 1);
      logger.error(
        { ...about, attempts, reason: outcome.error },
        `The ${channel} notification of incident ${incident.id} (${event}) failed ${attempts} times and is given up: ${outcome.error}`,
      );
      return;
    }
    const initial = this.deps.retryInitialMs ?? 10_000;
    const delay = Math.min(this.deps.retryMaxMs ?? 15 * 60_000, initial * 2 ** (attempts - 1));
    await store.markFailed(notification.id, now + delay, outcome.error ?? 'failed');
    logger.warn(
      { ...about, attempts, retry_ms: delay, reason: outcome.error },
      `The ${channel} notification of incident ${incident.id} (${event}) failed (${outcome.error}); attempt ${attempts} of ${max}, next in ${Math.round(delay / 1000)} s`,
    );
  }

  private async send(
    channel: ChannelKind,
    channels: Channels,
    notice: Notice,
  ): Promise<{ ok: boolean; status: number | null; error: string | null; aborted?: boolean }> {
    const settings = channels[channel];
    if (!settings) return { ok: false, status: null, error: `no ${channel} channel is set` };
    const request = requestFor(channel, settings, notice, {
      telegramApi: this.deps.telegramApi ?? TELEGRAM_API,
      now: this.deps.clock.now(),
    });
    try {
      const answer = await this.deps.http.post(request, this.abort.signal);
      if (answer.status >= 200 && answer.status < 300)
        return { ok: true, status: answer.status, error: null };
      const said = answer.body.trim().replace(/\s+/g, ' ').slice(0, 200);
      return {
        ok: false,
        status: answer.status,
        error: this.redact(`the service answered HTTP ${answer.status}${said ? ` (${said})` : ''}`),
      };
    } catch (error) {
      if (this.abort.signal.aborted) return { ok: false, status: null, error: 'stopped', aborted: true };
      return { ok: false, status: null, error: this.redact(describeFailure(error)) };
    }
  }

  /** Past `maxPending` waiting, the oldest are given up (logged once per trim, with the number). */
  private async bound(): Promise<void> {
    const max = this.deps.maxPending ?? 1000;
    const over = (await this.deps.store.pendingCount()) - max;
    if (over <= 0) return;
    const now = this.now();
    for (const id of await this.deps.store.oldestPending(over)) {
      await this.deps.store.giveUp(id, now, `the queue held more than ${max} notifications`, 0);
    }
    this.deps.logger.error(
      { dropped: over, max },
      `${counted(over, 'notification')} ${over === 1 ? 'was' : 'were'} given up unsent: more than ${max} waited (the channels fail, or too many incidents)`,
    );
  }

  private async schedule(): Promise<void> {
    if (!this.started) return;
    let next: number | null;
    try {
      next = await this.deps.store.nextDue();
    } catch {
      next = this.now() + 30_000; // the database does not answer: look again later
    }
    if (next === null || !this.started || this.running || this.timer) return;
    const delay = Math.max(0, next - this.now());
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.wake();
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  private count(outcome: 'sent' | 'failed', channel: ChannelKind): void {
    const map = this.counts[outcome];
    map.set(channel, (map.get(channel) ?? 0) + 1);
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.deps.settings.secrets())
      if (secret.length >= 4) out = out.split(secret).join(MASK);
    return out;
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/** A network error in words: the cause's code (ECONNREFUSED, a timeout), never the URL. */
function describeFailure(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer within the timeout';
  const code = err.cause?.code;
  if (code) return `the request failed (${code})`;
  return `the request failed (${err.cause?.message ?? err.message ?? String(error)})`;
}
