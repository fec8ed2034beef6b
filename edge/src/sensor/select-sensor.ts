import type { Clock, Logger } from '@fleet/shared';
import { openBmx280Reader } from './bmx280-reader.js';
import { hexByte } from './chip-id.js';
import { SensorUnavailableError } from './errors.js';
import { type I2cBusOpener, openI2cBus, toError } from './i2c.js';
import { type I2cAddressOption, probeSensor } from './probe.js';
import { createSyntheticSensor } from './synthetic.js';
import type { SensorReader } from './types.js';

export type SensorOption = 'auto' | 'bme280' | 'synthetic';

export interface SelectSensorOptions {
  /** SENSOR: 'bme280' requires the chip, 'synthetic' never probes, 'auto' uses the chip when found. */
  sensor: SensorOption;
  /** I2C_BUS */
  bus: number;
  /** I2C_ADDRESS */
  address: I2cAddressOption;
  /** TEMP_OFFSET, °C, added to real readings only. */
  tempOffset: number;
  /** Default: the real `i2c-bus`. */
  opener?: I2cBusOpener;
  /** Default /dev/i2c-N; for tests. */
  devPath?: (bus: number) => string;
  clock: Clock;
  /** For the synthetic model's noise; default Math.random. */
  random?: () => number;
  logger: Logger;
}

/**
 * Chooses where readings come from, and logs it: one info line for what is used, or, with SENSOR=auto
 * and no usable chip, one warning that says why the synthetic model is used instead.
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

  const opener = options.opener ?? openI2cBus;
  let reason: string;
  const probe = await probeSensor({
    bus: options.bus,
    address: options.address,
    opener,
    devPath: options.devPath,
    logger,
  });
  if (probe.ok) {
    try {
      const reader = await openBmx280Reader({
        opener,
        bus: options.bus,
        address: probe.address,
        tempOffset: options.tempOffset,
        logger,
      });
      logger.info(
        {
          sensor: reader.source,
          bus: reader.bus,
          address: reader.address,
          tempOffset: options.tempOffset,
          humidity: reader.source === 'bme280',
        },
        `sensor: ${reader.source.toUpperCase()} at ${hexByte(probe.address)} on I²C bus ${options.bus}` +
          (reader.source === 'bmp280' ? ' (no humidity sensor: humidite is null)' : ''),
      );
      return reader;
    } catch (error) {
      reason = toError(error).message;
    }
  } else {
    reason = probe.reason;
  }

  if (options.sensor === 'bme280') throw new SensorUnavailableError(reason);
  logger.warn(
    { sensor: 'synthetic', reason },
    `sensor: none usable with SENSOR=auto, using the synthetic model. ${reason}`,
  );
  return synthetic();
}
