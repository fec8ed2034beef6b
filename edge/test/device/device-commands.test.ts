import { type Ack, parseAck, parseStatus } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_CALIBRATION } from '../../src/device/settings.js';
import { DEFAULT_SETTINGS, type Harness, makeDevice } from './harness.js';

function acks(h: Harness): Ack[] {
  return h.link.on('ack').map((message) => {
    const parsed = parseAck(message.payload);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  });
}

/** Sends a raw command, lets it be handled, and gives its ack. */
async function command(h: Harness, payload: unknown): Promise<Ack> {
  const before = h.link.on('ack').length;
  void h.link.sendCommand(payload);
  await vi.advanceTimersByTimeAsync(0);
  const all = acks(h);
  expect(all).toHaveLength(before + 1);
  return all.at(-1) as Ack;
}

describe('Device commands', () => {
  let h: Harness;

  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:00:00.000Z') });
    h = await makeDevice({ ...DEFAULT_SETTINGS, mode: 'auto', intervalle: 5 }, { otaStepMs: 100 });
    h.device.start();
    h.link.goOnline();
  });

  afterEach(async () => {
    await h.dispose();
    vi.useRealTimers();
  });

  it('applies a valid command whole, persists it, acks it and republishes the status', async () => {
    const ack = await command(h, { mode: 'economie', intervalle: 10, seuil_alerte: 28.5, command_id: 'c-1' });
    expect(ack).toMatchObject({
      device_id: 'dev-1',
      command_id: 'c-1',
      status: 'applied',
      error: null,
      settings: { mode: 'economie', intervalle: 10, seuil_alerte: 28.5, actif: true, ...NO_CALIBRATION },
      firmware: 'v1.0.0',
    });
    expect(h.device.settings).toEqual({
      mode: 'economie',
      intervalle: 10,
      seuil_alerte: 28.5,
      actif: true,
      ...NO_CALIBRATION,
    });
    expect(h.persisted().settings).toEqual(h.device.settings);
    const status = parseStatus(h.link.last('status')?.payload ?? '');
    expect(status.ok).toBe(true);
    expect(h.link.last('status')?.retain).toBe(true);
    expect(status.ok && status.value.online && status.value.mode).toBe('economie');
    expect(status.ok && status.value.online && status.value.intervalle).toBe(10);
  });

  it('acks with command_id null when the command has none', async () => {
    const ack = await command(h, { seuil_alerte: 20 });
    expect(ack.command_id).toBeNull();
    expect(ack.status).toBe('applied');
  });

  const badCommands: Array<[string, unknown, RegExp]> = [
    ['not JSON', 'mode=manuel', /not JSON/],
    ['a JSON array', '[1,2]', /a JSON object/],
    ['an unknown field', { mode: 'manuel', vitesse: 3 }, /"vitesse" is not accepted/],
    ['a bad mode', { mode: 'turbo' }, /"mode" received "turbo"/],
    [
      'intervalle 0',
      { intervalle: 0 },
      /"intervalle" received 0; accepted: a whole number of seconds from 1 to 60/,
    ],
    ['intervalle 61', { intervalle: 61 }, /"intervalle" received 61/],
    ['intervalle 1.5', { intervalle: 1.5 }, /"intervalle" received 1.5/],
    ['intervalle as text', { intervalle: '5' }, /"intervalle" received "5"/],
    ['seuil_alerte too low', { seuil_alerte: 14.9 }, /"seuil_alerte" received 14.9; accepted: a temperature/],
    ['seuil_alerte too high', { seuil_alerte: 45.1 }, /"seuil_alerte" received 45.1/],
    ['actif as text', { actif: 'yes' }, /"actif" received "yes"; accepted: true or false/],
    ['read_now false', { read_now: false }, /"read_now" received false/],
    ['a bad version', { update_firmware: '1.1' }, /"update_firmware" received "1.1"/],
    ['another device id', { mode: 'manuel', device_id: 'dev-2' }, /"device_id" received "dev-2"/],
    ['no action', { command_id: 'x' }, /no action/],
    ['a command_id too long', { mode: 'manuel', command_id: 'x'.repeat(65) }, /"command_id" received/],
    ['one good and one bad field', { mode: 'manuel', intervalle: 99 }, /"intervalle" received 99/],
    ['a good setting and the running version', { mode: 'manuel', update_firmware: 'v1.0.0' }, /running one/],
    [
      'read_now with actif false',
      { actif: false, read_now: true },
      /"read_now" received true; accepted: only while/,
    ],
  ];

  it.each(badCommands)('rejects %s with its reason and changes nothing', async (_name, payload, reason) => {
    await vi.advanceTimersByTimeAsync(1_000);
    const readingsBefore = h.link.on('data').length;
    const statusesBefore = h.link.on('status').length;
    const stateBefore = h.persisted();

    const ack = await command(h, payload);
    expect(ack.status).toBe('rejected');
    expect(ack.error).toMatch(reason);
    expect(ack.settings).toEqual(DEFAULT_SETTINGS);
    expect(ack.firmware).toBe('v1.0.0');
    expect(h.device.settings).toEqual(DEFAULT_SETTINGS);
    expect(h.persisted()).toEqual(stateBefore);
    expect(h.link.on('status')).toHaveLength(statusesBefore);
    expect(h.device.status().ota.state).toBe('idle');

    // Readings go on at the old rate: one every 5 s, no reading taken for a rejected read_now.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(h.link.on('data')).toHaveLength(readingsBefore + 1);
  });

  it('gives back the command_id of a rejected command when it has a usable one', async () => {
    expect((await command(h, { mode: 'turbo', command_id: 'c-9' })).command_id).toBe('c-9');
    expect((await command(h, { mode: 'turbo', command_id: 42 })).command_id).toBeNull();
    expect((await command(h, 'not json')).command_id).toBeNull();
  });

  it('rejects a command whose effect cannot be written, and nothing of it comes back in a later write', async () => {
    h.refuseWrites(true);
    const ack = await command(h, { mode: 'manuel', seuil_alerte: 20, read_now: true, command_id: 'disk' });
    expect(ack.status).toBe('rejected');
    expect(ack.error).toMatch(
      /^The command could not be saved on the device \(.*readonly.*\); nothing was changed\.$/,
    );
    expect(ack.settings).toEqual(DEFAULT_SETTINGS);
    expect(h.device.settings).toEqual(DEFAULT_SETTINGS);
    h.refuseWrites(false);
    // A later command writes only its own change: the rejected mode and threshold never reach the disk.
    expect((await command(h, { intervalle: 9, command_id: 'later' })).status).toBe('applied');
    expect(h.persisted().settings).toEqual({ ...DEFAULT_SETTINGS, intervalle: 9 });
    expect(h.device.settings).toEqual({ ...DEFAULT_SETTINGS, intervalle: 9 });
    // Not remembered either (the disk refused): the same command sent again is applied this time.
    expect((await command(h, { mode: 'manuel', command_id: 'disk' })).status).toBe('applied');
  });

  it('handles commands one at a time, in arrival order', async () => {
    void h.link.sendCommand({ intervalle: 7, command_id: 'a' });
    void h.link.sendCommand({ intervalle: 70, command_id: 'b' });
    void h.link.sendCommand({ intervalle: 9, command_id: 'c' });
    await vi.advanceTimersByTimeAsync(0);
    expect(acks(h).map((ack) => [ack.command_id, ack.status, ack.settings.intervalle])).toEqual([
      ['a', 'applied', 7],
      ['b', 'rejected', 7],
      ['c', 'applied', 9],
    ]);
  });

  it('runs an OTA update through its states; telemetry and the saved state then carry the new firmware', async () => {
    const ack = await command(h, { update_firmware: 'v1.1.0', command_id: 'ota-1' });
    expect(ack).toMatchObject({ status: 'applied', firmware: 'v1.0.0' });
    expect(h.device.status().ota).toMatchObject({
      state: 'downloading',
      target_version: 'v1.1.0',
      command_id: 'ota-1',
    });

    const busy = await command(h, { update_firmware: 'v1.2.0' });
    expect(busy.status).toBe('rejected');
    expect(busy.error).toMatch(/no new update while v1\.1\.0 is installing/);

    await vi.advanceTimersByTimeAsync(5_000);
    const states = h.link
      .on('status')
      .map((message) => (message.json as { ota: { state: string } }).ota.state)
      .filter((state, index, all) => state !== all[index - 1]);
    expect(states).toEqual(['idle', 'downloading', 'verifying', 'installing', 'rebooting', 'succeeded']);
    expect(h.device.firmware).toBe('v1.1.0');
    expect(h.persisted().firmware).toBe('v1.1.0');
    expect(h.persisted().ota).toMatchObject({ state: 'succeeded', previous_version: 'v1.0.0' });
    expect(h.link.last('status')?.json).toMatchObject({ firmware: 'v1.1.0' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.link.last('data')?.json).toMatchObject({ firmware: 'v1.1.0' });
  });

  it('reports a failing update and rolls back to the running version', async () => {
    await command(h, { update_firmware: 'v1.1.0-fail' });
    await vi.advanceTimersByTimeAsync(5_000);
    const ota = h.device.status().ota;
    expect(ota.state).toBe('failed');
    expect(ota.error).toMatch(/v1\.1\.0-fail failed its health check after reboot; rolled back to v1\.0\.0/);
    expect(h.device.firmware).toBe('v1.0.0');
    expect(h.persisted().firmware).toBe('v1.0.0');
    expect(h.persisted().ota?.state).toBe('failed');
  });
});
