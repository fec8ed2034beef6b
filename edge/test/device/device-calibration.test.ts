import { type Ack, createLogger, parseAck, parseStatus, type Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EdgeStore } from '../../src/storage/edge-store.js';
import { DEFAULT_SETTINGS, fakeTimersClock, type Harness, makeDevice } from './harness.js';

async function command(h: Harness, payload: unknown): Promise<Ack> {
  const before = h.link.on('ack').length;
  void h.link.sendCommand(payload);
  await vi.advanceTimersByTimeAsync(0);
  const acks = h.link.on('ack');
  expect(acks).toHaveLength(before + 1);
  const parsed = parseAck(acks.at(-1)?.payload ?? '');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const lastReading = (h: Harness) => h.link.last('data')?.json as Telemetry;

describe('Device calibration', () => {
  let h: Harness;

  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:00:00.000Z') });
    h = await makeDevice({ intervalle: 5 });
    // 1000 hPa at 15 °C: at 500 m that is 1060.7 hPa at sea level (see calibration.test.ts).
    h.sensor.temperature = 15;
    h.sensor.pression = 1000;
    h.device.start();
    h.link.goOnline();
  });

  afterEach(async () => {
    await h.dispose();
    vi.useRealTimers();
  });

  it('{"altitude": 500} is applied, acked, persisted and reported; readings then give sea-level pressure', async () => {
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lastReading(h)).toMatchObject({ temperature: 15, pression: 1000 });

    const ack = await command(h, { altitude: 500 });
    expect(ack).toMatchObject({
      status: 'applied',
      error: null,
      settings: { ...DEFAULT_SETTINGS, altitude: 500 },
    });
    expect(h.persisted().settings.altitude).toBe(500);
    const status = parseStatus(h.link.last('status')?.payload ?? '');
    expect(status.ok && status.value.online && status.value.altitude).toBe(500);

    await vi.advanceTimersByTimeAsync(5_000);
    expect(lastReading(h)).toMatchObject({ temperature: 15, pression: 1060.7 });
  });

  it('applies every correction with the command, and the alert follows the corrected temperature', async () => {
    h.sensor.temperature = 29.5;
    h.sensor.humidite = 97;
    const ack = await command(h, {
      correction_temperature: 1,
      correction_humidite: 5,
      correction_pression: -2.5,
      read_now: true,
      command_id: 'cal-1',
    });
    expect(ack.status).toBe('applied');
    // The read_now reading is the first under the new calibration: humidity kept at 100 %RH.
    expect(lastReading(h)).toMatchObject({ temperature: 30.5, humidite: 100, pression: 997.5, alerte: true });
  });

  it('keeps humidite null on a sensor without humidity', async () => {
    h.sensor.humidite = null;
    await command(h, { correction_humidite: 3 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lastReading(h).humidite).toBeNull();
  });

  const accepted = {
    correction_temperature: 'a number of °C from -20 to 20',
    correction_humidite: 'a number of %RH from -20 to 20',
    correction_pression: 'a number of hPa from -50 to 50',
    altitude:
      'a whole number of metres above sea level from -500 to 9000 (0: report the pressure measured, not reduced to sea level)',
  };
  it.each([
    ['correction_temperature', 20.5],
    ['correction_humidite', -21],
    ['correction_pression', '2'],
    ['altitude', 9001],
    ['altitude', 12.5],
  ] as const)('rejects %s %j in one sentence, and the rest of the command with it', async (field, value) => {
    const before = h.persisted();
    const ack = await command(h, { mode: 'manuel', [field]: value, command_id: `bad-${field}` });
    expect(ack.status).toBe('rejected');
    expect(ack.error).toBe(
      `Field "${field}" received ${JSON.stringify(value)}; accepted: ${accepted[field]}.`,
    );
    expect(ack.settings).toEqual(DEFAULT_SETTINGS);
    expect(h.device.settings).toEqual(DEFAULT_SETTINGS);
    expect(h.persisted().settings).toEqual(before.settings);
  });

  it('keeps a commanded calibration across a restart, while its variable is unchanged', async () => {
    await command(h, { altitude: 500, correction_humidite: -2 });
    await h.device.stop();
    const store = await EdgeStore.open({
      config: {
        dataDir: h.dir,
        outboxMax: 1000,
        firmwareVersion: 'v1.0.0',
        mode: 'auto',
        publishInterval: 5,
        alertThreshold: 30,
        tempOffset: 0,
        humidityOffset: 0,
        pressureOffset: 0,
        altitude: 0,
      },
      clock: fakeTimersClock,
      logger: createLogger('edge-test', 'silent'),
    });
    try {
      expect(store.startup.settings).toEqual({ ...DEFAULT_SETTINGS, altitude: 500, correction_humidite: -2 });
      expect(store.startup.overriddenByEnv).toEqual([]);
    } finally {
      store.close();
    }
  });
});
