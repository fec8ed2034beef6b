import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeSensor } from '../../src/sensor/probe.js';
import {
  EmulatedBmx280,
  emulatedBme280,
  emulatedBmp280,
  emulatedOtherChip,
} from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter, i2cError } from '../fixtures/emulated-i2c-bus.js';

let devDir: string;
const devPath = (bus: number) => join(devDir, `i2c-${bus}`);

beforeEach(async () => {
  devDir = await mkdtemp(join(tmpdir(), 'probe-'));
  await writeFile(devPath(1), '');
});

afterEach(async () => {
  await rm(devDir, { recursive: true, force: true });
});

function probe(adapter: EmulatedI2cAdapter, address: 'auto' | 0x76 | 0x77 = 'auto', bus = 1) {
  return probeSensor({ bus, address, opener: adapter.opener, devPath });
}

describe('probeSensor', () => {
  it('says the bus is missing when /dev/i2c-N does not exist, without opening anything', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280() });
    expect(await probe(adapter, 'auto', 4)).toEqual({
      ok: false,
      reason: `I²C bus 4 not found: ${devPath(4)} is missing; enable I²C (on balena: BALENA_HOST_CONFIG_dtparam="i2c_arm=on")`,
    });
    expect(adapter.opened).toEqual([]);
  });

  it('tries 0x76 first, then 0x77, and reports nothing at either', async () => {
    const adapter = new EmulatedI2cAdapter();
    const result = await probe(adapter);
    expect(result).toEqual({
      ok: false,
      reason:
        'No BME280 or BMP280 on I²C bus 1: nothing answered at 0x76 (EREMOTEIO), nothing answered at 0x77 (EREMOTEIO); ' +
        'check the wiring (SDA, SCL, 3.3 V, GND) and the address (SDO to GND gives 0x76, to 3.3 V 0x77).',
    });
    expect(adapter.chipIdReads()).toEqual([0x76, 0x77]);
  });

  it('finds a BME280 at 0x77 after trying 0x76', async () => {
    const adapter = new EmulatedI2cAdapter({ 119: emulatedBme280() });
    expect(await probe(adapter)).toEqual({ ok: true, chip: 'bme280', address: 0x77 });
    expect(adapter.chipIdReads()).toEqual([0x76, 0x77]);
  });

  it('stops at 0x76 when a chip answers there', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280(), 119: emulatedBmp280() });
    expect(await probe(adapter)).toEqual({ ok: true, chip: 'bme280', address: 0x76 });
    expect(adapter.chipIdReads()).toEqual([0x76]);
  });

  it('names a wrong chip id, and still tries the other address', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedOtherChip(0x61) });
    expect(await probe(adapter)).toEqual({
      ok: false,
      reason:
        'No BME280 or BMP280 on I²C bus 1: wrong chip id 0x61 at 0x76, nothing answered at 0x77 (EREMOTEIO); ' +
        'a BME280 has chip id 0x60, a BMP280 0x56, 0x57, 0x58.',
    });
  });

  it('uses a BMP280 at 0x77 when 0x76 holds another chip', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedOtherChip(0x61), 119: emulatedBmp280() });
    expect(await probe(adapter)).toEqual({ ok: true, chip: 'bmp280', address: 0x77 });
  });

  it.each([
    { id: '0x56', chipId: 0x56 },
    { id: '0x57', chipId: 0x57 },
    { id: '0x58', chipId: 0x58 },
  ])('recognises chip id $id as a BMP280', async ({ chipId }) => {
    const adapter = new EmulatedI2cAdapter({ 118: new EmulatedBmx280({ chipId }) });
    expect(await probe(adapter)).toEqual({ ok: true, chip: 'bmp280', address: 0x76 });
  });

  it('probes only the configured address when I2C_ADDRESS is set', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280() });
    const result = await probe(adapter, 0x77);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('nothing answered at 0x77') });
    expect(adapter.chipIdReads()).toEqual([0x77]);
  });

  it('says when the container may not use the bus', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280() });
    adapter.chipAt(0x76)?.failNextReads(1, 'EACCES');
    const result = await probe(adapter);
    expect(result).toEqual({
      ok: false,
      reason: `I²C bus 1 cannot be used: ${devPath(1)} refused access (EACCES); the container needs the device (on balena: run the service privileged, or list ${devPath(1)} under devices)`,
    });
  });

  it('reports a bus that cannot be opened', async () => {
    const result = await probeSensor({
      bus: 1,
      address: 'auto',
      devPath,
      opener: async () => {
        throw i2cError('EACCES', 'open');
      },
    });
    expect(result).toEqual({
      ok: false,
      reason: `I²C bus 1 (${devPath(1)}) could not be opened: EACCES, permission denied`,
    });
  });

  it('closes the bus it opened', async () => {
    const adapter = new EmulatedI2cAdapter({ 119: emulatedBme280() });
    await probe(adapter);
    expect(adapter.handles.map((handle) => handle.closed)).toEqual([true]);
  });
});
