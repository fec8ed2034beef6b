import { InvalidMessages } from '@fleet/dashboard';
import { MESSAGE_MAX_BYTES } from '@fleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger, ManualClock, onlineStatus, telemetry } from './fixtures.js';
import { type IngestParts, ingestParts } from './ingest-parts.js';

describe('Ingest bounds', () => {
  let p: IngestParts;
  afterEach(async () => {
    await p.close();
  });

  it('refuses a payload over MESSAGE_MAX_BYTES unparsed, with one sentence, and counts it', async () => {
    p = await ingestParts();
    // Valid JSON, a valid reading even, made too large by one field this release would ignore.
    const big = { ...telemetry(), padding: 'x'.repeat(MESSAGE_MAX_BYTES) };
    const bytes = Buffer.byteLength(JSON.stringify(big));
    await p.handle('devices/pi-1/data', big);
    expect(p.store.recent({ limit: 10 })).toEqual([]);
    expect(p.fleet.has('pi-1')).toBe(false);
    expect(p.ingest.invalid.counts()).toEqual({ 'pi-1': 1 });
    expect(p.ingest.ignored.snapshot()).toEqual({}); // never parsed
    const warning = p.log.lines.find((line) => line.level === 40);
    expect(warning?.error).toBe(
      `The message received has ${bytes} bytes; accepted: at most ${MESSAGE_MAX_BYTES} bytes.`,
    );
    // Right at the bound, it is read.
    const padding = 'x'.repeat(
      MESSAGE_MAX_BYTES - Buffer.byteLength(JSON.stringify({ ...telemetry(), p: '' })),
    );
    const fits = { ...telemetry(), p: padding };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(MESSAGE_MAX_BYTES);
    await p.handle('devices/pi-1/data', fits);
    expect(p.store.recent({ limit: 10 })).toHaveLength(1);
  });

  it('takes no new device beyond MAX_DEVICES: acknowledged, counted, logged once naming the variable, then once a minute; known devices go on', async () => {
    p = await ingestParts({ maxDevices: 2 });
    // Two new devices in one group: both are taken in before either is committed.
    await Promise.all([
      p.handle('devices/pi-1/data', telemetry({ device_id: 'pi-1' })),
      p.handle('devices/pi-2/status', onlineStatus('pi-2')),
    ]);
    expect(p.fleet.ids()).toEqual(['pi-1', 'pi-2']);
    // The third, in any kind of message: the handle resolves (its PUBACK goes), nothing is stored.
    await p.handle('devices/pi-3/data', telemetry({ device_id: 'pi-3' }));
    await p.handle('devices/pi-3/status', onlineStatus('pi-3'));
    await p.handle('devices/pi-4/availability', 'online');
    expect(p.fleet.ids()).toEqual(['pi-1', 'pi-2']);
    expect(p.store.recent({ deviceId: 'pi-3', limit: 10 })).toEqual([]);
    expect(p.ingest.cap.refused).toBe(3);
    // Known devices go on.
    await p.handle('devices/pi-1/data', telemetry({ device_id: 'pi-1', seq: 1 }));
    expect(p.store.recent({ deviceId: 'pi-1', limit: 10 })).toHaveLength(2);
    const warnings = () => p.log.lines.filter((line) => line.level === 40);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(
      /^MAX_DEVICES \(2\) is reached: messages of new devices are acknowledged but not stored/,
    );
    // A minute later, one line with the count of what was refused meanwhile.
    p.clock.advance(60_000);
    await p.handle('devices/pi-5/data', telemetry({ device_id: 'pi-5' }));
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatchObject({ refused_total: 4, refused_since_last_log: 3 });
  });

  it('makes room for a new device when one is forgotten', async () => {
    p = await ingestParts({ maxDevices: 1 });
    await p.handle('devices/pi-1/data', telemetry({ device_id: 'pi-1' }));
    await p.handle('devices/pi-2/data', telemetry({ device_id: 'pi-2' }));
    expect(p.fleet.ids()).toEqual(['pi-1']);
    // Forgetting goes through Fleet.forget in the service; here the fleet is reloaded without pi-1's row.
    expect(p.registry.flush()).toBe(true);
    expect(p.store.loadDevices().map((record) => record.device_id)).toEqual(['pi-1']);
    p.store.database.prepare("DELETE FROM devices WHERE device_id = 'pi-1'").run();
    p.fleet.load();
    await p.handle('devices/pi-2/data', telemetry({ device_id: 'pi-2' }));
    expect(p.fleet.ids()).toEqual(['pi-2']);
  });
});

describe('InvalidMessages', () => {
  it('keeps its counters bounded: past 10 000 senders, the rest are counted together', () => {
    const log = capturingLogger('warn');
    const invalid = new InvalidMessages(new ManualClock(0), log.logger);
    for (let n = 0; n < 10_050; n++) invalid.record(`made-up-${n}`, `devices/made-up-${n}/data`, 'bad');
    invalid.record('made-up-0', 'devices/made-up-0/data', 'bad');
    const counts = invalid.counts();
    expect(Object.keys(counts)).toHaveLength(10_001);
    expect(counts['(other)']).toBe(50);
    expect(counts['made-up-0']).toBe(2);
    expect(invalid.total()).toBe(10_051);
    // One line per sender per minute: the 50 counted together logged once.
    expect(log.lines.filter((line) => line.device_id === '(other)')).toHaveLength(1);
  });
});
