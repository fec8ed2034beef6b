import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertsPageResponse } from '../../src/http/routes/alerts.js';
import { offlineStatus, onlineStatus, telemetry } from '../server/fixtures.js';
import { type Harness, startHarness } from '../server/harness.js';

// The rules through the real ingest (validation, group commit, the fleet's events) on a real database; the
// clock is the test's. No channel is set: these tests look at the incidents themselves.
describe('alert rules and incidents', () => {
  let h: Harness;
  let seq = 0;

  beforeEach(async () => {
    seq = 0;
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const reading = (deviceId: string, overrides: Partial<Telemetry>) => {
    h.clock.advance(5000);
    return h.deliver(`devices/${deviceId}/data`, {
      ...telemetry({ device_id: deviceId, seq: seq++, timestamp: h.clock.now().toISOString() }),
      ...overrides,
    });
  };
  const incidents = async (query = '') => {
    const response = await h.dashboard.app.inject({ method: 'GET', url: `/api/alerts${query}` });
    expect(response.statusCode).toBe(200);
    return response.json() as AlertsPageResponse;
  };
  const put = (url: string, payload: unknown) =>
    h.dashboard.app.inject({ method: 'PUT', url, payload: payload as object });

  it('raises a frost alert below 2 °C and resolves it only 0.5 °C above the limit, one incident throughout', async () => {
    await h.deliver('devices/gh-1/status', onlineStatus('gh-1'));
    await reading('gh-1', { temperature: 5 });
    expect((await incidents()).total).toBe(0);
    await reading('gh-1', { temperature: 1.5 });
    let page = await incidents();
    expect(page.open).toBe(1);
    expect(page.incidents[0]).toMatchObject({
      device_id: 'gh-1',
      rule: 'frost',
      state: 'open',
      value: 1.5,
      threshold: 2,
      unit: '°C',
    });
    // Hovering at the limit: 2.2 and 2.4 are above 2 but within the hysteresis; 1.9 is below again.
    for (const temperature of [2.2, 1.9, 2.4, 2.0]) await reading('gh-1', { temperature });
    page = await incidents();
    expect(page.total).toBe(1);
    expect(page.open).toBe(1);
    await reading('gh-1', { temperature: 2.6 });
    page = await incidents();
    expect(page.total).toBe(1);
    expect(page.open).toBe(0);
    expect(page.incidents[0]).toMatchObject({ rule: 'frost', state: 'resolved', resolved_value: 2.6 });
    expect(page.incidents[0]?.resolved_at).toBe(h.clock.now().toISOString());
  });

  it("raises high temperature above the device's seuil_alerte, with hysteresis", async () => {
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1', { seuil_alerte: 30 }));
    await reading('pi-1', { temperature: 29.9 });
    await reading('pi-1', { temperature: 30.5 });
    for (const temperature of [30, 29.8, 30.6, 29.6]) await reading('pi-1', { temperature });
    let page = await incidents('?state=open');
    expect(page.incidents.map((i) => [i.rule, i.threshold, i.value])).toEqual([
      ['high_temperature', 30, 30.5],
    ]);
    await reading('pi-1', { temperature: 29.5 });
    page = await incidents();
    expect(page).toMatchObject({ open: 0, total: 1 });
  });

  it('looks at each reading of a group committed together: a spike between two normal readings opens and resolves', async () => {
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1', { seuil_alerte: 30 }));
    await reading('pi-1', { temperature: 25 });
    let summaries = 0;
    const unsubscribe = h.dashboard.events.on('device', (summary) => {
      if (summary.device_id === 'pi-1') summaries += 1;
    });
    // Delivered together: one transaction, and one `device` event for the device after it.
    await Promise.all([26, 35, 31.2, 25].map((temperature) => reading('pi-1', { temperature })));
    unsubscribe();
    expect(summaries, 'one group').toBe(1);
    const page = await incidents();
    expect(page.incidents.map((i) => [i.rule, i.state, i.value, i.resolved_value])).toEqual([
      ['high_temperature', 'resolved', 35, 25],
    ]);
    // A redelivery of the spike, or a late reading from the outbox, is older than what was looked at: nothing.
    await h.deliver('devices/pi-1/data', {
      ...telemetry({
        device_id: 'pi-1',
        seq: 900,
        timestamp: new Date(h.clock.now().getTime() - 60_000).toISOString(),
      }),
      temperature: 40,
    });
    expect((await incidents()).total).toBe(1);
  });

  it('raises offline after the set minutes (timer), and resolves when the device is back', async () => {
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    await h.deliver('devices/pi-1/status', offlineStatus('pi-1'));
    h.clock.advance(9 * 60_000);
    h.dashboard.alerts.engine.tick();
    expect((await incidents()).total).toBe(0);
    h.clock.advance(60_000);
    h.dashboard.alerts.engine.tick();
    let page = await incidents();
    expect(page.incidents[0]).toMatchObject({ rule: 'offline', value: 10, threshold: 10, state: 'open' });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    page = await incidents();
    expect(page).toMatchObject({ open: 0, total: 1 });
  });

  it('raises readings lost from seq gaps, resolved after the window passes without a new loss', async () => {
    const v2 = (s: number): Partial<Telemetry> => ({ v: 2, epoch: 'e1', seq: s, clock_synced: true });
    await h.deliver('devices/pi-2/status', onlineStatus('pi-2'));
    await reading('pi-2', v2(0));
    await reading('pi-2', v2(5)); // 4 lost: under the default 10
    expect((await incidents()).total).toBe(0);
    await reading('pi-2', v2(12)); // 10 lost
    let page = await incidents();
    expect(page.incidents[0]).toMatchObject({ rule: 'readings_lost', value: 10, threshold: 10 });
    h.clock.advance(61 * 60_000);
    h.dashboard.alerts.engine.tick();
    page = await incidents();
    expect(page).toMatchObject({ open: 0, total: 1 });
  });

  it('battery below 15 %, and humidity once turned on; a device override turns frost off for that device only', async () => {
    await reading('pi-3', { batterie: 12 });
    await reading('pi-3', { batterie: 12, humidite: 95 });
    expect((await incidents()).incidents.map((i) => i.rule)).toEqual(['battery']);
    const changed = await put('/api/alerts/rules', { humidity: { enabled: true, max: 85 } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().defaults.humidity).toEqual({ enabled: true, min: 30, max: 85, hysteresis: 2 });
    expect((await incidents('?state=open')).incidents.map((i) => i.rule).sort()).toEqual([
      'battery',
      'humidity',
    ]);

    expect((await put('/api/alerts/rules/pi-5', { frost: { enabled: false } })).statusCode).toBe(200);
    await reading('pi-4', { temperature: -1 });
    await reading('pi-5', { temperature: -1 });
    const frost = (await incidents('?state=open')).incidents.filter((i) => i.rule === 'frost');
    expect(frost.map((i) => i.device_id)).toEqual(['pi-4']);
    // Removing the override: the fleet default applies, and the device is looked at again at once.
    expect(
      (await h.dashboard.app.inject({ method: 'DELETE', url: '/api/alerts/rules/pi-5' })).statusCode,
    ).toBe(204);
    const again = (await incidents('?state=open')).incidents.filter((i) => i.rule === 'frost');
    expect(again.map((i) => i.device_id).sort()).toEqual(['pi-4', 'pi-5']);
  });

  it('resolves the incidents of a rule turned off, and of a device forgotten', async () => {
    await reading('pi-6', { temperature: 0, batterie: 5 });
    expect((await incidents('?state=open')).incidents.map((i) => i.rule).sort()).toEqual([
      'battery',
      'frost',
    ]);
    expect((await put('/api/alerts/rules', { frost: { enabled: false } })).statusCode).toBe(200);
    let page = await incidents();
    expect(page.incidents.map((i) => [i.rule, i.state])).toEqual([
      ['battery', 'open'],
      ['frost', 'resolved'],
    ]);
    expect((await h.dashboard.app.inject({ method: 'DELETE', url: '/api/devices/pi-6' })).statusCode).toBe(
      204,
    );
    page = await incidents();
    expect(page).toMatchObject({ open: 0, total: 2 });
  });

  it('refuses bad rules with one sentence naming the field, the value and what is accepted, changing nothing', async () => {
    const before = (await h.dashboard.app.inject({ method: 'GET', url: '/api/alerts/rules' })).json();
    const cases: Array<[unknown, string]> = [
      [{ frost: { below: 999 } }, 'Field "frost.below" received 999; accepted: a number from -40 to 85.'],
      [
        { offline: { minutes: 2.5 } },
        'Field "offline.minutes" received 2.5; accepted: a whole number from 1 to 10080.',
      ],
      [{ battery: { enabled: 'yes' } }, 'Field "battery.enabled" received "yes"; accepted: true or false.'],
      [
        { heat: {} },
        'Field "heat" is not accepted; accepted: "high_temperature", "frost", "humidity", "offline", "battery", "readings_lost".',
      ],
      [
        { humidity: { min: 90, max: 10 } },
        'Field "humidity.min" received 90 with "humidity.max" 10 (fleet defaults); accepted: a min below the max.',
      ],
    ];
    for (const [body, sentence] of cases) {
      const response = await put('/api/alerts/rules', body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe(sentence);
    }
    const bad = await put('/api/alerts/rules/not%20a%20device', {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^Path parameter "deviceId" received "not a device"; accepted: /);
    expect((await h.dashboard.app.inject({ method: 'GET', url: '/api/alerts/rules' })).json()).toEqual(
      before,
    );
  });
});
