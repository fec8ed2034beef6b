import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertSettings } from '../../src/alerts/alert-settings.js';
import { AlertStore } from '../../src/alerts/alert-store.js';
import { fetchClient } from '../../src/alerts/http-client.js';
import { Notifier } from '../../src/alerts/notifier.js';
import type { TelemetryStore } from '../../src/storage/telemetry-store.js';
import { capturingLogger, eventually, ManualClock, openStore, tempDir } from '../server/fixtures.js';
import { Receiver } from './receiver.js';

// The queue's bounds, on a real database and a real HTTP receiver that refuses everything.
describe('the notification queue', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let alerts: AlertStore;
  let settings: AlertSettings;
  let receiver: Receiver;
  let notifier: Notifier;
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const log = capturingLogger('info');

  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    alerts = new AlertStore(store.database);
    settings = new AlertSettings(alerts);
    receiver = new Receiver();
    await receiver.start();
    receiver.statusFor.set('/', 503);
    await settings.setChannels(
      { webhook: { url: `${receiver.base}/hook`, token: null }, ntfy: null, slack: null, telegram: null },
      'test',
      clock.now().getTime(),
    );
  });
  afterEach(async () => {
    await notifier?.stop();
    await receiver.stop();
    store.close();
    await dir.remove();
  });

  const open = (deviceId: string) =>
    alerts.open({ deviceId, rule: 'frost', at: clock.now().getTime(), value: 1, threshold: 2 }, ['webhook']);
  const pending = () => alerts.pendingCount();

  it('gives up the oldest past its bound, and each one after its last attempt, logging each in one sentence', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) open(id);
    notifier = new Notifier({
      store: alerts,
      settings,
      http: fetchClient(2000),
      clock,
      logger: log.logger,
      maxPending: 3,
      maxAttempts: 2,
      retryInitialMs: 1000,
    });
    expect(await notifier.start()).toBe(5);
    // Each failure is logged once its retry is stored (the receiver has the request a moment before).
    const failures = () => log.lines.filter((line) => String(line.msg).includes('attempt 1 of 2')).length;
    await eventually(() => failures() === 3, 5000, 'one attempt each for the three kept, stored');
    expect(receiver.received).toHaveLength(3);
    expect(
      log.lines.some(
        (line) =>
          line.msg ===
          '2 notifications were given up unsent: more than 3 waited (the channels fail, or too many incidents)',
      ),
    ).toBe(true);
    // The two oldest (a, b) were given up unsent; c, d and e were tried.
    const devices = receiver.received.map((request) => JSON.parse(request.body).incident.device_id);
    expect(devices).toEqual(['c', 'd', 'e']);
    clock.advance(1000);
    notifier.wake();
    await eventually(() => pending() === 0, 5000, 'every notification ended');
    expect(receiver.received).toHaveLength(6);
    const givenUp = log.lines.filter((line) => String(line.msg).includes('failed 2 times and is given up'));
    expect(givenUp.map((line) => line.msg)).toContain(
      'The webhook notification of incident 3 (opened) failed 2 times and is given up: the service answered HTTP 503 ({"ok":false,"description":"refused by the test"})',
    );
    expect(givenUp).toHaveLength(3);
  });

  it('logs a database that refuses the queue, without failing the process, and sends once it answers again', async () => {
    receiver.statusFor.clear();
    open('a');
    notifier = new Notifier({ store: alerts, settings, http: fetchClient(2000), clock, logger: log.logger });
    const due = alerts.due.bind(alerts);
    let refusing = true;
    alerts.due = (now, limit) => {
      if (refusing) throw new Error('SQLITE_IOERR: disk I/O error');
      return due(now, limit);
    };
    await notifier.start();
    await eventually(
      () => log.lines.some((line) => line.msg === 'The notification queue could not be read or updated'),
      5000,
      'the refusal logged',
    );
    expect(pending()).toBe(1);
    refusing = false;
    notifier.wake();
    await eventually(() => pending() === 0, 5000, 'sent once the database answers');
    expect(receiver.to('/hook')).toHaveLength(1);
  });

  it('keeps a notification queued when stopped during its attempt, and sends it at the next start', async () => {
    receiver.statusFor.clear();
    open('a');
    // An attempt that gets no answer: the stop comes while it is in flight.
    let attempts = 0;
    const http = {
      post: (_request: unknown, signal?: AbortSignal) =>
        new Promise<never>((_resolve, reject) => {
          attempts += 1;
          signal?.addEventListener('abort', () => reject(signal.reason));
        }),
    };
    notifier = new Notifier({ store: alerts, settings, http, clock, logger: log.logger });
    await notifier.start();
    await eventually(() => attempts === 1, 5000, 'the attempt under way');
    await notifier.stop();
    expect(pending()).toBe(1);
    notifier = new Notifier({ store: alerts, settings, http: fetchClient(2000), clock, logger: log.logger });
    await notifier.start();
    await eventually(() => pending() === 0, 5000, 'sent after the restart');
    expect(receiver.to('/hook')).toHaveLength(1);
  });
});
