import { parseStatus, parseTelemetry, type Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Harness, makeDevice } from './harness.js';

const START = new Date('2026-12-01T12:00:00.000Z');

/** The telemetry published so far, each one checked against the contract. */
function telemetry(h: Harness): Telemetry[] {
  return h.link.on('data').map((message) => {
    const parsed = parseTelemetry(message.payload);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  });
}

describe('Device readings', () => {
  let h: Harness;

  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });

  afterEach(async () => {
    await h?.dispose();
    vi.useRealTimers();
  });

  it('auto: reads at start, then every intervalle seconds, in the telemetry format', async () => {
    h = await makeDevice({ mode: 'auto', intervalle: 5 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(15_000);
    const sent = telemetry(h);
    expect(sent.map((t) => t.seq)).toEqual([0, 1, 2, 3]);
    expect(sent.map((t) => t.uptime)).toEqual([0, 5, 10, 15]);
    expect(sent.map((t) => t.timestamp)).toEqual(
      [0, 5, 10, 15].map((s) => new Date(START.getTime() + s * 1000).toISOString()),
    );
    expect(sent[0]).toMatchObject({
      device_id: 'dev-1',
      temperature: 22,
      humidite: 45.5,
      pression: 1013.2,
      mode: 'auto',
      firmware: 'v1.0.0',
      alerte: false,
      source: 'synthetic',
      batterie: 100,
    });
    expect(h.link.on('data').some((message) => message.retain)).toBe(false);
    expect(h.store.outbox.size).toBe(0);
  });

  it('economie: reads every intervalle × 4 seconds', async () => {
    h = await makeDevice({ mode: 'economie', intervalle: 5 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(telemetry(h)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(telemetry(h).map((t) => t.uptime)).toEqual([0, 20]);
    expect(telemetry(h).every((t) => t.mode === 'economie')).toBe(true);
  });

  it('manuel: no periodic readings, one per read_now', async () => {
    h = await makeDevice({ mode: 'manuel', intervalle: 1 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(telemetry(h)).toHaveLength(0);
    void h.link.sendCommand({ read_now: true, command_id: 'r1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(telemetry(h)).toHaveLength(1);
    expect(telemetry(h)[0]?.mode).toBe('manuel');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(telemetry(h)).toHaveLength(1);
    expect(h.link.last('ack')?.json).toMatchObject({ command_id: 'r1', status: 'applied' });
  });

  it('actif:false stops telemetry but keeps answering commands; actif:true resumes at once', async () => {
    h = await makeDevice({ intervalle: 2 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(telemetry(h)).toHaveLength(3);

    void h.link.sendCommand({ actif: false });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(telemetry(h)).toHaveLength(3);
    void h.link.sendCommand({ seuil_alerte: 25, command_id: 'while-paused' });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.link.last('ack')?.json).toMatchObject({
      command_id: 'while-paused',
      status: 'applied',
      settings: { actif: false, seuil_alerte: 25 },
    });
    const status = parseStatus(h.link.last('status')?.payload ?? '');
    expect(status.ok && status.value.online && status.value.actif).toBe(false);

    void h.link.sendCommand({ actif: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(telemetry(h)).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(telemetry(h)).toHaveLength(5);
  });

  it('a new intervalle takes effect at once, not after the old period', async () => {
    h = await makeDevice({ intervalle: 60 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(3_000);
    void h.link.sendCommand({ intervalle: 2 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(telemetry(h).map((t) => t.uptime)).toEqual([0, 5]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(telemetry(h).map((t) => t.uptime)).toEqual([0, 5, 7, 9]);
  });

  it('turns the alert and the LED on above the threshold and off below it, and says so in the status', async () => {
    h = await makeDevice({ intervalle: 1, seuil_alerte: 30 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
    h.sensor.temperature = 31;
    await vi.advanceTimersByTimeAsync(1_000);
    h.sensor.temperature = 29.8; // within the hysteresis: stays on
    await vi.advanceTimersByTimeAsync(1_000);
    h.sensor.temperature = 29;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(telemetry(h).map((t) => t.alerte)).toEqual([false, true, true, false]);
    expect(h.led.states).toEqual([true, false]);
    const alertStatuses = h.link.on('status').map((m) => (m.json as { alerte: boolean }).alerte);
    expect(alertStatuses).toEqual([false, true, false]);
  });

  it('a new threshold re-evaluates the alert with the last temperature', async () => {
    h = await makeDevice({ mode: 'manuel', seuil_alerte: 30 });
    h.sensor.temperature = 28;
    h.device.start();
    h.link.goOnline();
    void h.link.sendCommand({ read_now: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.device.alerte).toBe(false);
    void h.link.sendCommand({ seuil_alerte: 25 });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.device.alerte).toBe(true);
    expect(h.led.states).toEqual([true]);
    expect(h.link.last('status')?.json).toMatchObject({ alerte: true, seuil_alerte: 25 });
  });

  it('takes no reading and uses no seq while the sensor fails, and republishes the status on each change', async () => {
    h = await makeDevice({ intervalle: 1 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(1_000);
    h.sensor.setHealthy(false);
    await vi.advanceTimersByTimeAsync(3_000);
    h.sensor.setHealthy(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(telemetry(h).map((t) => t.seq)).toEqual([0, 1, 2]);
    const health = h.link
      .on('status')
      .map((m) => (m.json as { sensor: { healthy: boolean } }).sensor.healthy);
    expect(health).toEqual([true, false, true]);
  });

  it('sends no reading whose values are not numbers, and uses no seq for it', async () => {
    h = await makeDevice({ intervalle: 1 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
    h.sensor.temperature = Number.NaN;
    await vi.advanceTimersByTimeAsync(1_000);
    h.sensor.temperature = 23;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(telemetry(h).map((t) => [t.seq, t.temperature])).toEqual([
      [0, 22],
      [1, 23],
    ]);
  });

  it('queues readings while offline and delivers them in order once connected', async () => {
    h = await makeDevice({ intervalle: 1 });
    h.device.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(h.link.on('data')).toHaveLength(0);
    expect(h.store.outbox.size).toBe(4);
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
    expect(telemetry(h).map((t) => t.seq)).toEqual([0, 1, 2, 3]);
    expect(h.store.outbox.size).toBe(0);
  });

  it('battery drains four times slower in economie', async () => {
    const auto = await makeDevice({ mode: 'auto', intervalle: 60 });
    auto.device.start();
    auto.link.goOnline();
    await vi.advanceTimersByTimeAsync(2_400_000);
    const autoDrop = 100 - (telemetry(auto).at(-1)?.batterie ?? 0);
    await auto.dispose();

    h = await makeDevice({ mode: 'economie', intervalle: 60 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(2_400_000);
    const economyDrop = 100 - (telemetry(h).at(-1)?.batterie ?? 0);
    // 2400 s of drain in auto is 24 %; the same time in economie counts as 600 s, 6 %.
    expect(autoDrop).toBeCloseTo(24, 5);
    expect(economyDrop).toBeCloseTo(6, 5);
  });

  it('stop() ends readings, keeps unacknowledged telemetry queued and says goodbye', async () => {
    h = await makeDevice({ intervalle: 1 });
    h.link.autoAck = false;
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(2_000);
    h.link.ackNext();
    const stopped = h.device.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    await stopped;
    const queued = h.queuedOnDisk();
    expect(queued.map((t) => t.seq)).toEqual([1, 2]);
    expect(h.persisted()).toMatchObject({ cleanStop: true, seqNext: 3 });
    expect(h.link.last('status')?.json).toEqual({ device_id: 'dev-1', online: false });
    expect(h.sensor.closed).toBe(true);
    expect(h.led.closed).toBe(true);
    const reads = h.sensor.reads;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.sensor.reads).toBe(reads);
  });
});
