import type { Logger } from '@fleet/shared';
import { type Bmx280Driver, createBmx280Driver, type DriverReading } from './bmx280-driver.js';
import { type Bmx280Chip, chipFromId, hexByte } from './chip-id.js';
import { closeBusQuietly, type I2cBusLike, type I2cBusOpener, toError } from './i2c.js';
import { roundTo } from './rounding.js';
import type { Reading, SensorReader } from './types.js';

export interface OpenBmx280Options {
  opener: I2cBusOpener;
  bus: number;
  address: number;
  logger: Logger;
}

export interface Bmx280Reader extends SensorReader {
  readonly source: Bmx280Chip;
}

/** The datasheet's operating range; a compensated value outside it comes from a bad transfer. */
const TEMPERATURE_RANGE_C = [-40, 85] as const;
const PRESSURE_RANGE_HPA = [300, 1100] as const;

const CHIP_NAMES: Record<Bmx280Chip, string> = { bme280: 'BME280', bmp280: 'BMP280' };

/**
 * Opens the bus, initialises the chip through bme280-sensor and returns a reader. Rejects with an Error
 * that says what failed when the chip does not initialise (the bus is closed again).
 *
 * After a failed read the next read initialises the chip again first: a chip that lost power comes back
 * in sleep mode with default settings, and re-initialising also reloads its calibration.
 * Readings are rounded like the original format: 2 decimals for °C, 1 for %RH and hPa. They are what the
 * chip measures: the device adds the calibration (calibrate()).
 */
export async function openBmx280Reader(options: OpenBmx280Options): Promise<Bmx280Reader> {
  const { bus: busNumber, address, logger } = options;
  const where = `${hexByte(address)} on I²C bus ${busNumber}`;
  const bus = await options.opener(busNumber);
  let driver: Bmx280Driver;
  let chip: Bmx280Chip;
  try {
    driver = createBmx280Driver(bus, busNumber, address);
    const chipId = await driver.init();
    const found = chipFromId(chipId);
    if (!found) throw new Error(`unexpected chip id ${hexByte(chipId)}`);
    chip = found;
  } catch (error) {
    await closeBusQuietly(bus);
    throw new Error(`The sensor at ${where} did not initialise: ${toError(error).message}`);
  }
  return new DriverBackedReader(bus, driver, chip, busNumber, address, logger);
}

class DriverBackedReader implements Bmx280Reader {
  readonly address: string;
  private needsInit = false;
  private closed = false;

  constructor(
    private readonly i2cBus: I2cBusLike,
    private readonly driver: Bmx280Driver,
    readonly source: Bmx280Chip,
    readonly bus: number,
    address: number,
    private readonly logger: Logger,
  ) {
    this.address = hexByte(address);
  }

  async read(): Promise<Reading> {
    const name = CHIP_NAMES[this.source];
    if (this.closed) throw new Error(`The ${name} at ${this.address} on I²C bus ${this.bus} is closed.`);
    try {
      if (this.needsInit) {
        await this.driver.init();
        this.needsInit = false;
        this.logger.debug({ address: this.address, bus: this.bus }, `${name} initialised again`);
      }
      const raw = await this.driver.readSensorData();
      checkPlausible(raw);
      return this.format(raw);
    } catch (error) {
      this.needsInit = true;
      throw new Error(
        `Reading the ${name} at ${this.address} on I²C bus ${this.bus} failed: ${toError(error).message}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeBusQuietly(this.i2cBus);
  }

  private format(raw: DriverReading): Reading {
    return {
      temperature: roundTo(raw.temperature_C, 2),
      // A BMP280 has no humidity sensor: the driver computes a number from registers it does not have.
      humidite: this.source === 'bme280' ? roundTo(raw.humidity, 1) : null,
      pression: roundTo(raw.pressure_hPa, 1),
    };
  }
}

function checkPlausible(raw: DriverReading): void {
  const [tMin, tMax] = TEMPERATURE_RANGE_C;
  const [pMin, pMax] = PRESSURE_RANGE_HPA;
  if (!(raw.temperature_C >= tMin && raw.temperature_C <= tMax)) {
    throw new Error(`implausible temperature ${raw.temperature_C} °C (the chip measures ${tMin} to ${tMax})`);
  }
  if (!(raw.pressure_hPa >= pMin && raw.pressure_hPa <= pMax)) {
    throw new Error(`implausible pressure ${raw.pressure_hPa} hPa (the chip measures ${pMin} to ${pMax})`);
  }
}
