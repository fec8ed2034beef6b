import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { AlertStorage } from '../../src/alerts/alert-storage.js';
import { AlertStore } from '../../src/alerts/alert-store.js';
import { NO_CHANNELS } from '../../src/alerts/channels.js';
import { PgAlertStore } from '../../src/alerts/pg-alert-store.js';
import type { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import type { SqliteReadingStore } from '../../src/storage/sqlite-reading-store.js';
import { describeOnEngines } from '../storage-contract/engines.js';

const DAY = 86_400_000;

/** The alert store's rules, the same tests on SQLite (AlertStore) and PostgreSQL (PgAlertStore). */
describeOnEngines('the alert store', (openStore, engine) => {
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.end();
  });
  /** A store, a second one on the same database (another replica), and raw SQL on it. */
  const open = async () => {
    const readings = await openStore();
    if (engine === 'sqlite') {
      const db = (readings as SqliteReadingStore).store.database;
      return {
        alerts: new AlertStore(db) as AlertStorage,
        other: new AlertStore(db) as AlertStorage,
        exec: async (sql: string) => {
          db.exec(sql);
        },
        count: async (sql: string) => (db.prepare(sql).get() as { n: number }).n,
      };
    }
    const pool = (readings as PgReadingStore).sharedPool();
    const url = (pool as unknown as { options: { connectionString: string } }).options.connectionString;
    const otherPool: pg.Pool = createPool(url, 1);
    pools.push(otherPool);
    return {
      alerts: new PgAlertStore(pool) as AlertStorage,
      other: new PgAlertStore(otherPool) as AlertStorage,
      exec: async (sql: string) => {
        await pool.query(sql);
      },
      count: async (sql: string) => Number((await pool.query<{ n: number }>(sql)).rows[0]?.n),
    };
  };
  const frost = (deviceId: string, at: number) => ({
    deviceId,
    rule: 'frost' as const,
    at,
    value: 1,
    threshold: 2,
  });

  it('opens an incident with one notification per channel; opening it again while open answers the open one and queues nothing', async () => {
    const { alerts, other, count } = await open();
    const first = await alerts.open(frost('gh-1', 1000), ['webhook', 'ntfy']);
    expect(first.created).toBe(true);
    expect(first.incident).toMatchObject({
      device_id: 'gh-1',
      rule: 'frost',
      state: 'open',
      value: 1,
      threshold: 2,
    });
    // Another replica (or this one after a takeover) opens the same: the open one, nothing queued.
    const again = await other.open(frost('gh-1', 2000), ['webhook', 'ntfy']);
    expect(again).toEqual({ incident: first.incident, created: false });
    expect(await alerts.openIncidents()).toEqual([first.incident]);
    expect(await count('SELECT COUNT(*) AS n FROM alert_notifications')).toBe(2);
    // Another rule or device is another incident.
    expect((await alerts.open({ ...frost('gh-1', 3000), rule: 'battery' }, [])).created).toBe(true);
    expect((await alerts.open(frost('gh-2', 3000), ['webhook'])).created).toBe(true);
    expect(await alerts.pendingCount()).toBe(3);
  });

  it('resolves once: a second resolve (another replica) answers null and queues nothing; reopening is a new incident', async () => {
    const { alerts, other } = await open();
    const { incident } = await alerts.open(frost('gh-1', 1000), ['webhook']);
    const resolved = await alerts.resolve(incident.id, 5000, 2.6, ['webhook']);
    expect(resolved).toMatchObject({ id: incident.id, state: 'resolved', resolved_value: 2.6 });
    expect(resolved?.resolved_at).toBe(new Date(5000).toISOString());
    expect(await other.resolve(incident.id, 6000, 3, ['webhook'])).toBeNull();
    const due = await alerts.due(10_000, 10);
    expect(due.map((n) => [n.incident.id, n.event, n.channel])).toEqual([
      [incident.id, 'opened', 'webhook'],
      [incident.id, 'resolved', 'webhook'],
    ]);
    // The notification tells the incident as it is now.
    expect(due[0]?.incident.state).toBe('resolved');
    const next = await alerts.open(frost('gh-1', 7000), ['webhook']);
    expect(next.created).toBe(true);
    expect(next.incident.id).not.toBe(incident.id);
  });

  it('writes the incident and its notifications in one transaction: when the queue refuses, no incident is left', async () => {
    const { alerts, exec, count } = await open();
    await exec('ALTER TABLE alert_notifications RENAME TO alert_notifications_gone');
    // SQLite throws at once, PostgreSQL rejects: both are a failed open().
    const opening = Promise.resolve().then(() => alerts.open(frost('gh-1', 1000), ['webhook']));
    await expect(opening).rejects.toThrow(/alert_notifications/);
    await exec('ALTER TABLE alert_notifications_gone RENAME TO alert_notifications');
    expect(await count('SELECT COUNT(*) AS n FROM alert_incidents')).toBe(0);
    expect(await alerts.openIncidents()).toEqual([]);
  });

  it('keeps rules and channels that another replica reads; a device override is removed once', async () => {
    const { alerts, other } = await open();
    await alerts.saveRules('', { frost: { below: 3 } }, 'admin', 1000);
    await alerts.saveRules('gh-1', { humidity: { enabled: true, min: 60 } }, 'admin', 1000);
    await alerts.saveRules('', { frost: { below: 4 } }, 'admin', 2000);
    const rules = await other.loadRules();
    expect(rules.defaults).toEqual({ frost: { below: 4 } });
    expect([...rules.devices]).toEqual([['gh-1', { humidity: { enabled: true, min: 60 } }]]);
    expect(await other.deleteRules('gh-1')).toBe(true);
    expect(await alerts.deleteRules('gh-1')).toBe(false);
    expect((await alerts.loadRules()).devices.size).toBe(0);
    const webhook = { url: 'https://example.com/hook', token: 'secret-token' };
    await alerts.saveChannels(
      { ...NO_CHANNELS, webhook, slack: { url: 'https://hooks.slack.com/x' } },
      'admin',
      1,
    );
    expect(await other.loadChannels()).toEqual({
      ...NO_CHANNELS,
      webhook,
      slack: { url: 'https://hooks.slack.com/x' },
    });
    await other.saveChannels({ ...NO_CHANNELS, webhook }, 'admin', 2);
    expect(await alerts.loadChannels()).toEqual({ ...NO_CHANNELS, webhook });
  });

  it('keeps a notification pending until it is sent or given up, with back-off and the oldest first', async () => {
    const { alerts, other } = await open();
    const a = (await alerts.open(frost('a', 1000), ['webhook'])).incident;
    const b = (await alerts.open(frost('b', 2000), ['webhook'])).incident;
    const c = (await alerts.open(frost('c', 3000), ['webhook'])).incident;
    expect(await alerts.nextDue()).toBe(1000);
    expect((await alerts.due(2500, 10)).map((n) => n.incident.id)).toEqual([a.id, b.id]);
    const [na, nb, nc] = await alerts.due(10_000, 10);
    if (!na || !nb || !nc) throw new Error('three notifications were queued');
    await alerts.markFailed(na.id, 60_000, 'HTTP 503');
    expect((await alerts.due(10_000, 10)).map((n) => [n.incident.id, n.attempts])).toEqual([
      [b.id, 0],
      [c.id, 0],
    ]);
    expect(await other.oldestPending(2)).toEqual([na.id, nb.id]);
    await other.markSent(nb.id, 11_000);
    await alerts.giveUp(nc.id, 11_000, 'the channel was removed', 0);
    expect(await alerts.pendingCount()).toBe(1);
    expect(await alerts.nextDue()).toBe(60_000);
    expect(await alerts.dueNow(20_000)).toBe(1);
    expect((await alerts.due(20_000, 10)).map((n) => [n.incident.id, n.attempts])).toEqual([[a.id, 1]]);
    await alerts.markSent(na.id, 21_000);
    expect(await alerts.pendingCount()).toBe(0);
    expect(await alerts.nextDue()).toBeNull();
    expect(await alerts.due(1e12, 10)).toEqual([]);
  });

  it('lists open incidents first, then the most recent; counts open ones and the matches', async () => {
    const { alerts } = await open();
    const old = (await alerts.open(frost('a', 1000), [])).incident;
    await alerts.open(frost('b', 2000), []);
    await alerts.open({ ...frost('a', 3000), rule: 'battery' }, []);
    await alerts.resolve(old.id, 4000, 3, []);
    const all = await alerts.list({ state: 'all', limit: 10, offset: 0 });
    expect(all.incidents.map((i) => [i.device_id, i.rule, i.state])).toEqual([
      ['a', 'battery', 'open'],
      ['b', 'frost', 'open'],
      ['a', 'frost', 'resolved'],
    ]);
    expect([all.open, all.total]).toEqual([2, 3]);
    const ofA = await alerts.list({ state: 'open', limit: 10, offset: 0, deviceId: 'a' });
    expect(ofA.incidents.map((i) => i.rule)).toEqual(['battery']);
    expect([ofA.open, ofA.total]).toEqual([2, 1]);
    const page = await alerts.list({ state: 'all', limit: 1, offset: 1 });
    expect(page.incidents.map((i) => i.device_id)).toEqual(['b']);
  });

  it('removes incidents resolved before the cutoff once their notifications are done, and keeps the rest', async () => {
    const { alerts } = await open();
    const now = 100 * DAY;
    const incident = async (deviceId: string) =>
      (await alerts.open({ ...frost(deviceId, now - 40 * DAY), rule: 'battery' }, ['webhook'])).incident;
    const old = await incident('old');
    const waiting = await incident('waiting');
    const recent = await incident('recent');
    await incident('open');
    await alerts.resolve(old.id, now - 35 * DAY, 20, ['webhook']);
    await alerts.resolve(waiting.id, now - 35 * DAY, 20, ['webhook']);
    await alerts.resolve(recent.id, now - 5 * DAY, 20, ['webhook']);
    // Every notification sent but the resolved one of "waiting".
    for (const notification of await alerts.due(now, 100)) {
      if (!(notification.incident.id === waiting.id && notification.event === 'resolved'))
        await alerts.markSent(notification.id, now);
    }
    expect(await alerts.prune(now - 30 * DAY)).toBe(1);
    const left = await alerts.list({ state: 'all', limit: 10, offset: 0 });
    expect(left.incidents.map((i) => i.device_id).sort()).toEqual(['open', 'recent', 'waiting']);
    expect(await alerts.pendingCount()).toBe(1);
  });
});
