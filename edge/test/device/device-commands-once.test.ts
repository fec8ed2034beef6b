import { type Ack, parseAck } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type Harness, makeDevice } from './harness.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');

function acks(h: Harness): Ack[] {
  return h.link.on('ack').map((message) => {
    const parsed = parseAck(message.payload);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  });
}

describe('Device commands take effect once, and only once on disk', () => {
  let h: Harness;

  beforeEach(async () => {
    vi.useFakeTimers({ now: NOW });
    // manuel: no periodic readings, so every reading comes from a read_now.
    h = await makeDevice({ ...DEFAULT_SETTINGS, mode: 'manuel' }, { otaStepMs: 100 });
    h.device.start();
    h.link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
  });

  afterEach(async () => {
    await h.dispose();
    vi.useRealTimers();
  });

  it('a read_now delivered three times takes one reading, and every copy gets the same ack', async () => {
    const command = { read_now: true, command_id: 'rn-1' };
    for (let copy = 0; copy < 3; copy++) {
      await h.link.sendCommand(command);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(h.link.on('data')).toHaveLength(1);
    expect(h.sensor.reads).toBe(1);
    const all = acks(h);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ command_id: 'rn-1', status: 'applied' });
    expect(all[1]).toEqual(all[0]);
    expect(all[2]).toEqual(all[0]);
  });

  it('an update_firmware delivered twice is applied once; the copy gets the same applied ack', async () => {
    await h.link.sendCommand({ update_firmware: 'v1.1.0', command_id: 'up-1' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.device.firmware).toBe('v1.1.0');
    await h.link.sendCommand({ update_firmware: 'v1.1.0', command_id: 'up-1' });
    await vi.advanceTimersByTimeAsync(5_000);
    const all = acks(h);
    expect(all.map((ack) => [ack.command_id, ack.status, ack.firmware])).toEqual([
      ['up-1', 'applied', 'v1.0.0'],
      ['up-1', 'applied', 'v1.0.0'],
    ]);
    expect(all[1]).toEqual(all[0]);
    expect(h.device.status().ota).toMatchObject({ state: 'succeeded', target_version: 'v1.1.0' });
  });

  it('remembers a rejection too: the same command id gets the same rejection, even once it would pass', async () => {
    await h.link.sendCommand({ actif: false, command_id: 'off' });
    await h.link.sendCommand({ read_now: true, command_id: 'rn-2' });
    await h.link.sendCommand({ actif: true, command_id: 'on' });
    await h.link.sendCommand({ read_now: true, command_id: 'rn-2' });
    const [first, second] = acks(h).filter((ack) => ack.command_id === 'rn-2');
    expect(first?.status).toBe('rejected');
    expect(second).toEqual(first);
    expect(h.link.on('data')).toHaveLength(0);
  });

  it('rejects a command older than its time to live with the expiry sentence, and changes nothing', async () => {
    const before = h.persisted();
    await h.link.sendCommand({
      intervalle: 9,
      read_now: true,
      command_id: 'old-1',
      issued_at: new Date(NOW.getTime() - 2 * 3600_000).toISOString(),
    });
    await h.link.sendCommand({
      mode: 'auto',
      command_id: 'old-2',
      issued_at: new Date(NOW.getTime() - 10_000).toISOString(),
      ttl_s: 5,
    });
    const [old1, old2] = acks(h);
    expect(old1?.status).toBe('rejected');
    expect(old1?.error).toMatch(
      /^The command was issued at .*, 7200 s ago; it expired after 3600 s \(the default time to live\), so nothing was changed\.$/,
    );
    expect(old2?.error).toMatch(/10 s ago; it expired after 5 s \(its ttl_s\)/);
    expect(h.device.settings).toEqual({ ...DEFAULT_SETTINGS, mode: 'manuel' });
    expect(h.persisted()).toEqual(before);
    expect(h.link.on('data')).toHaveLength(0);
    // Within its time to live it is applied.
    await h.link.sendCommand({ intervalle: 9, command_id: 'fresh', issued_at: NOW.toISOString(), ttl_s: 60 });
    expect(acks(h).at(-1)).toMatchObject({ command_id: 'fresh', status: 'applied' });
  });

  it("settles (so the broker's PUBACK goes out) only once a read_now's reading is on disk", async () => {
    h.link.goOffline();
    const settled = h.link.sendCommand({ read_now: true, command_id: 'rn-3' });
    let done = false;
    void settled.then(() => {
      done = true;
    });
    expect(h.queuedOnDisk()).toHaveLength(0);
    await settled;
    expect(done).toBe(true);
    const [reading] = h.queuedOnDisk();
    expect(reading).toMatchObject({ seq: 0, epoch: h.store.epoch.epoch });
  });

  it('rejects a read_now while the sensor cannot be read, with the reason, and changes nothing', async () => {
    h.sensor.setHealthy(false);
    await h.link.sendCommand({ read_now: true, intervalle: 9, command_id: 'rn-4' });
    const ack = acks(h).at(-1);
    expect(ack?.status).toBe('rejected');
    expect(ack?.error).toBe(
      'The sensor could not be read (I2C read failed), so no reading was taken and nothing was changed.',
    );
    expect(h.device.settings.intervalle).toBe(DEFAULT_SETTINGS.intervalle);
    expect(h.persisted().settings.intervalle).toBe(DEFAULT_SETTINGS.intervalle);
  });

  it('writes the start of an update (downloading, its command id) before the command settles', async () => {
    await h.link.sendCommand({ update_firmware: 'v2.0.0', command_id: 'up-2' });
    expect(h.persisted().ota).toMatchObject({
      state: 'downloading',
      target_version: 'v2.0.0',
      command_id: 'up-2',
    });
    expect(h.persisted().firmware).toBe('v1.0.0');
  });
});
