import type { Clock, Logger } from '@fleet/shared';
import { type Bmx280Reader, openBmx280Reader } from './bmx280-reader.js';
import { SensorUnavailableError } from './errors.js';
import { type I2cBusOpener, openI2cBus, toError } from './i2c.js';
import { type I2cAddressOption, probeSensor } from './probe.js';
import { SENSOR_SEARCH_PERIOD_MS, SensorSearch } from './sensor-search.js';
import { createSyntheticSensor } from './synthetic.js';
import type { SensorReader } from './types.js';

export type SensorOption = 'auto' | 'bme280' | 'synthetic';

/** Where to look for the chip: I2C_BUS, I2C_ADDRESS, and the bus for tests. */
export interface ChipLocation {
  /** I2C_BUS */
  bus: number;
  /** I2C_ADDRESS */
  address: I2cAddressOption;
  /** Default: the real `i2c-bus`. */
  opener?: I2cBusOpener;
  /** Default /dev/i2c-N; for tests. */
  devPath?: (bus: number) => string;
  logger: Logger;
}

export interface SelectSensorOptions extends ChipLocation {
  /** SENSOR: 'bme280' requires the chip, 'synthetic' never probes, 'auto' uses the chip when found. */
  sensor: SensorOption;
  clock: Clock;
  /** For the synthetic model's noise; default Math.random. */
  random?: () => number;
}

export type FoundChip = { ok: true; reader: Bmx280Reader } | { ok: false; reason: string };

/** Probes for a BME280 or BMP280 and opens it; the reason is one sentence for the operator when there is none. */
export async function findChip(location: ChipLocation): Promise<FoundChip> {
  const opener = location.opener ?? openI2cBus;
  const probe = await probeSensor({
    bus: location.bus,
    address: location.address,
    opener,
    devPath: location.devPath,
    logger: location.logger,
  });
  if (!probe.ok) return probe;
  try {
    const reader = await openBmx280Reader({
      opener,
      bus: location.bus,
      address: probe.address,
      logger: location.logger,
    });
    return { ok: true, reader };
  } catch (error) {
    return { ok: false, reason: toError(error).message };
  }
}

/** What the log says of a chip in use: "BME280 at 0x76 on I²C bus 1". */
function describeChip(reader: SensorReader): string {
  return `${reader.source.toUpperCase()} at ${reader.address} on I²C bus ${reader.bus}`;
}

/**
 * Chooses where readings come from, and logs it: one info line for what is used, or, with SENSOR=auto
 * and no usable chip, one warning that says why the synthetic model is used instead (sensorSearch() then
 * looks for the chip again while the device runs).
 * With SENSOR=bme280 and no usable chip it throws SensorUnavailableError, whose message is that reason.
 * A BMP280 is accepted wherever a BME280 is (its readings have humidite null).
 */
export async function selectSensor(options: SelectSensorOptions): Promise<SensorReader> {
  const { logger } = options;
  const synthetic = () => createSyntheticSensor({ clock: options.clock, random: options.random });

  if (options.sensor === 'synthetic') {
    logger.info({ sensor: 'synthetic' }, 'sensor: synthetic day/night model (SENSOR=synthetic)');
    return synthetic();
  }

  const found = await findChip(options);
  if (found.ok) {
    const { reader } = found;
    logger.info(
      {
        sensor: reader.source,
        bus: reader.bus,
        address: reader.address,
        humidity: reader.source === 'bme280',
      },
      `sensor: ${describeChip(reader)}` +
        (reader.source === 'bmp280' ? ' (no humidity sensor: humidite is null)' : ''),
    );
    return reader;
  }

  if (options.sensor === 'bme280') throw new SensorUnavailableError(found.reason);
  logger.warn(
    { sensor: 'synthetic', reason: found.reason, search_every_s: SENSOR_SEARCH_PERIOD_MS / 1000 },
    `sensor: none usable with SENSOR=auto, using the synthetic model (and looking again every minute). ${found.reason}`,
  );
  return synthetic();
}

/**
 * With SENSOR=auto and the synthetic model in use (no chip at start), the search that looks for the chip
 * every `periodMs` while the device runs; null otherwise.
 */
export function sensorSearch(
  options: Pick<SelectSensorOptions, 'sensor'> & ChipLocation,
  selected: SensorReader,
  periodMs = SENSOR_SEARCH_PERIOD_MS,
): SensorSearch | null {
  if (options.sensor !== 'auto' || selected.source !== 'synthetic') return null;
  return new SensorSearch({ find: () => findChip(options), periodMs, logger: options.logger });
}
