import type { Logger } from '@fleet/shared';
import type pg from 'pg';
import type { LeaderFence } from './pg-alert-store.js';

/** What the replica that leads does: start evaluating and sending, and stop again. */
export interface LeadHandlers {
  lead(): Promise<void>;
  follow(): Promise<void>;
}

/**
 * Which replica evaluates the alert rules and sends the notifications: exactly one at a time. Every replica
 * serves the alerts' API whatever it says.
 */
export interface Leadership {
  readonly kind: 'sole' | 'postgresql';
  readonly leading: boolean;
  start(handlers: LeadHandlers): Promise<void>;
  stop(): Promise<void>;
}

/** Without DATABASE_URL: one process, which leads from start to stop. */
export class SoleLeadership implements Leadership {
  readonly kind = 'sole';
  private handlers: LeadHandlers | null = null;

  get leading(): boolean {
    return this.handlers !== null;
  }

  async start(handlers: LeadHandlers): Promise<void> {
    if (this.handlers) return;
    this.handlers = handlers;
    await handlers.lead();
  }

  async stop(): Promise<void> {
    const handlers = this.handlers;
    this.handlers = null;
    await handlers?.follow();
  }
}

/** The alerts' advisory lock: two int4 keys ("flee", 5: layout version 5's tables). */
export const ALERTS_LOCK = [0x666c6565, 5] as const;

export interface PgLeadershipDeps {
  /** A new, unconnected client on DATABASE_URL: the lock's own connection, outside the pool. */
  client: () => pg.Client;
  logger: Logger;
  /** How often a follower tries to take the lock (default 5 s). */
  retryMs?: number;
  /** How often the leader checks its connection, and how long the check may take (default 2 s). */
  checkMs?: number;
}

/**
 * Leadership among replicas through a session-level PostgreSQL advisory lock (`pg_try_advisory_lock`) held
 * on a connection of its own: the replica holding it leads; the others try again every `retryMs`. When the
 * leader dies, its connection closes, PostgreSQL releases the lock and another replica takes it. The leader
 * checks its connection every `checkMs`: an error, an end or a check without an answer in `checkMs` ends its
 * leadership at once (it stops evaluating), and as a fence (LeaderFence) every incident write checks in its
 * own transaction that this connection still holds the lock. Changes are logged at info.
 */
export class PgLeadership implements Leadership, LeaderFence {
  readonly kind = 'postgresql';
  private handlers: LeadHandlers | null = null;
  private client: pg.Client | null = null;
  private pid: number | null = null;
  private isLeading = false;
  private timer: NodeJS.Timeout | null = null;
  private turn: Promise<void> = Promise.resolve();
  private failing = false;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: PgLeadershipDeps) {
    this.log = deps.logger.child({ component: 'alerts-leader' });
  }

  get leading(): boolean {
    return this.isLeading;
  }

  async start(handlers: LeadHandlers): Promise<void> {
    if (this.handlers) return;
    this.handlers = handlers;
    this.stopped = false;
    await this.step();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.turn;
    await this.end(null);
    this.handlers = null;
  }

  async check(client: pg.PoolClient): Promise<void> {
    const pid = this.isLeading ? this.pid : null;
    const { rows } = await client.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int8::oid
         AND objid = $2::int8::oid AND objsubid = 2 AND granted AND pid = $3) AS held`,
      [ALERTS_LOCK[0], ALERTS_LOCK[1], pid ?? -1],
    );
    if (!rows[0]?.held)
      throw new Error(
        'this replica does not lead the alerts (it lost the lock); the incident is not written',
      );
  }

  /** One attempt (a follower) or one check (the leader), then the next is scheduled. */
  private step(): Promise<void> {
    this.turn = this.turn
      .then(() => (this.isLeading ? this.checkConnection() : this.tryLead()))
      .finally(() => this.schedule());
    return this.turn;
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.isLeading ? (this.deps.checkMs ?? 2000) : (this.deps.retryMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.step();
    }, delay);
  }

  private async tryLead(): Promise<void> {
    if (this.stopped || !this.handlers) return;
    try {
      if (!this.client) {
        const client = this.deps.client();
        client.on('error', (error) => void this.lose(client, error));
        client.on('end', () => void this.lose(client, null));
        this.client = client;
        await client.connect();
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        this.pid = rows[0]?.pid ?? null;
      }
      const { rows } = await this.client.query<{ got: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS got',
        [...ALERTS_LOCK],
      );
      if (this.failing) {
        this.failing = false;
        this.log.info('PostgreSQL answers again: this replica can lead the alerts');
      }
      if (!rows[0]?.got) return;
      this.isLeading = true;
      this.log.info(
        { alerts_leader: true, pid: this.pid },
        'This replica leads the alerts now: it evaluates the rules and sends the notifications',
      );
      await this.handlers.lead();
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.log.warn(
          { err: error },
          `This replica could not take or keep the alerts' lock in PostgreSQL (${(error as Error).message}); it tries again every ${Math.round((this.deps.retryMs ?? 5000) / 1000)} s`,
        );
      }
      await this.end(error as Error);
    }
  }

  private async checkConnection(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const ms = this.deps.checkMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from PostgreSQL within ${ms} ms`)), ms);
        }),
      ]);
    } catch (error) {
      await this.lose(client, error as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The lock's connection failed or ended: leadership ends at once, then the connection is closed. */
  private async lose(client: pg.Client, error: Error | null): Promise<void> {
    if (client !== this.client) return;
    await this.end(error);
  }

  private async end(error: Error | null): Promise<void> {
    const client = this.client;
    this.client = null;
    this.pid = null;
    if (this.isLeading) {
      this.isLeading = false;
      this.log.info(
        { alerts_leader: false, reason: error?.message ?? 'stopping' },
        `This replica no longer leads the alerts (${error ? `its connection to PostgreSQL failed: ${error.message}` : 'it stops'}); it stopped evaluating and sending`,
      );
      await this.handlers?.follow();
    }
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      // A connection cut off by the network may never finish closing: waited for 2 s at most, so that the
      // next attempt is not held (the socket is dropped then, which releases the lock on the server's side).
      const ended = client.end().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), 2000);
      });
      if ((await Promise.race([ended, late])) === 'late') {
        (
          client as unknown as { connection?: { stream?: { destroy(): void } } }
        ).connection?.stream?.destroy();
      }
      clearTimeout(timer);
    }
  }
}
