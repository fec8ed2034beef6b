import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/alerts/alert-store.js';
import type { TelemetryStore } from '../../src/storage/telemetry-store.js';
import { openStore, tempDir } from '../server/fixtures.js';

const DAY = 86_400_000;

describe('alert incidents in the database', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let alerts: AlertStore;

  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    alerts = new AlertStore(store.database);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  const incident = (deviceId: string, openedAt: number) =>
    alerts.open({ deviceId, rule: 'battery', at: openedAt, value: 10, threshold: 15 }, ['webhook']);

  it('keeps one open incident per device and rule', () => {
    incident('a', 0);
    expect(() => incident('a', 1)).toThrow(/UNIQUE/);
    expect(alerts.openIncidents()).toHaveLength(1);
  });

  it('removes incidents resolved before the cutoff once their notifications are done, and keeps the rest', () => {
    const now = 100 * DAY;
    const old = incident('old', now - 40 * DAY);
    const waiting = incident('waiting', now - 40 * DAY);
    const recent = incident('recent', now - 40 * DAY);
    const open = incident('open', now - 40 * DAY);
    alerts.resolve(old.id, now - 35 * DAY, 20, ['webhook']);
    alerts.resolve(waiting.id, now - 35 * DAY, 20, ['webhook']);
    alerts.resolve(recent.id, now - 5 * DAY, 20, ['webhook']);
    // Every notification sent but the resolved one of "waiting".
    for (const notification of alerts.due(now, 100)) {
      if (!(notification.incident.id === waiting.id && notification.event === 'resolved'))
        alerts.markSent(notification.id, now);
    }
    expect(alerts.prune(now - 30 * DAY)).toBe(1);
    const left = alerts.list({ state: 'all', limit: 10, offset: 0 });
    expect(left.incidents.map((i) => i.device_id).sort()).toEqual(['open', 'recent', 'waiting']);
    expect(alerts.pendingCount()).toBe(1);
    expect(open.state).toBe('open');
  });
});
