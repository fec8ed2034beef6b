import { createRequire } from 'node:module';
import { type I2cBusLike, toError } from './i2c.js';

/** Compensation coefficients as bme280-sensor parses them from registers 0x88–0xA1 and 0xE1–0xE7. */
export interface Bmx280Calibration {
  dig_T1: number;
  dig_T2: number;
  dig_T3: number;
  dig_P1: number;
  dig_P2: number;
  dig_P3: number;
  dig_P4: number;
  dig_P5: number;
  dig_P6: number;
  dig_P7: number;
  dig_P8: number;
  dig_P9: number;
  dig_H1: number;
  dig_H2: number;
  dig_H3: number;
  dig_H4: number;
  dig_H5: number;
  dig_H6: number;
}

/** What bme280-sensor's readSensorData() resolves: °C, %RH (garbage on a BMP280), hPa. */
export interface DriverReading {
  temperature_C: number;
  humidity: number;
  pressure_hPa: number;
}

/** The bme280-sensor 0.1.7 class, as far as this module uses it. */
interface DriverInstance {
  i2cBus: unknown;
  cal?: Bmx280Calibration;
  init(): Promise<number>;
  readSensorData(): Promise<DriverReading>;
}
type DriverClass = new (options: { i2cBusNo: number; i2cAddress: number }) => DriverInstance;

/** One BMx280 driven by bme280-sensor, on a bus chosen by the caller. Operations run one at a time. */
export interface Bmx280Driver {
  /** The driver's init(): checks the chip id, reads the calibration, sets oversampling x16 and normal mode. */
  init(): Promise<number>;
  /** One burst read of 0xF7–0xFE, compensated by the driver. */
  readSensorData(): Promise<DriverReading>;
  /** The calibration in use once init() has run. */
  calibration(): Bmx280Calibration | null;
}

const DATA_REGISTER = 0xf7;

/**
 * THE SEAM. bme280-sensor loads `i2c-bus` with a CommonJS `require` inside its constructor and keeps the
 * Bus in `this.i2cBus`; nothing outside can hand it a bus, and vitest's `vi.mock` does not reach that
 * `require`. So this factory constructs the real driver (its constructor calls `i2c-bus`'s openSync,
 * which only records the bus number: i2c-bus opens /dev/i2c-N lazily, at the first transfer) and, before
 * any transfer, replaces `driver.i2cBus` with an adapter over the bus it was given. Everything after
 * that (init, calibration parsing, compensation) is the driver's own code, in production and in tests.
 *
 * The adapter also covers three flaws of bme280-sensor 0.1.7:
 * - loadCalibration() ignores the error of its block read, and a sync read failing inside that callback
 *   would be an uncaught exception; the adapter catches both and rejects the operation instead;
 * - init() prints "Found BMx280 chip ID …" with console.log, which would break the JSON-lines log on
 *   stdout; console.log is silenced while the driver's callbacks run (synchronously; restored right after);
 * - the humidity coefficients dig_H2, dig_H4, dig_H5 and dig_H6 are signed in the datasheet but parsed as
 *   unsigned; init() here sign-extends them (no change for the usual, positive values).
 * It also rejects a data read whose temperature is 0x80000, the value of a chip that has not measured
 * (reset or in sleep mode), instead of letting the driver turn it into a plausible-looking number.
 */
export function createBmx280Driver(bus: I2cBusLike, busNumber: number, address: number): Bmx280Driver {
  const Bme280 = createRequire(import.meta.url)('bme280-sensor') as DriverClass;
  const driver = new Bme280({ i2cBusNo: busNumber, i2cAddress: address });

  let failCurrent: ((error: Error) => void) | null = null;
  const fail = (error: unknown) => failCurrent?.(toError(error));
  const deliver = (callback: () => void) => {
    const consoleLog = console.log;
    console.log = () => {};
    try {
      callback();
    } catch (error) {
      fail(error);
    } finally {
      console.log = consoleLog;
    }
  };

  const adapter: Omit<I2cBusLike, 'close'> = {
    readByte: (addr, register, callback) =>
      bus.readByte(addr, register, (error, byte) => deliver(() => callback(error, byte))),
    writeByte: (addr, register, byte, callback) =>
      bus.writeByte(addr, register, byte, (error) => deliver(() => callback(error))),
    readI2cBlock: (addr, register, length, buffer, callback) =>
      bus.readI2cBlock(addr, register, length, buffer, (error, bytesRead, data) => {
        if (error) return fail(error);
        if (register === DATA_REGISTER && isUnmeasured(data)) {
          return fail(new Error('the chip returned no measurement (raw temperature 0x80000): it was reset'));
        }
        deliver(() => callback(null, bytesRead, data));
      }),
    readByteSync: (addr, register) => bus.readByteSync(addr, register),
    readWordSync: (addr, register) => bus.readWordSync(addr, register),
  };
  driver.i2cBus = adapter;

  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          failCurrent = reject;
          operation().then(resolve, (error: unknown) => reject(toError(error)));
        }),
    );
    const settled = result.finally(() => {
      failCurrent = null;
    });
    queue = settled.catch(() => {});
    return settled;
  };

  return {
    init: () =>
      run(async () => {
        const chipId = await driver.init();
        if (driver.cal) signExtendHumidityCalibration(driver.cal);
        return chipId;
      }),
    readSensorData: () => run(() => driver.readSensorData()),
    calibration: () => (driver.cal ? { ...driver.cal } : null),
  };
}

function isUnmeasured(data: Buffer): boolean {
  return data[3] === 0x80 && data[4] === 0x00 && ((data[5] ?? 0) & 0xf0) === 0x00;
}

function signExtend(value: number, bits: number): number {
  const limit = 2 ** (bits - 1);
  return value >= limit ? value - 2 * limit : value;
}

/** Datasheet 4.2.2: dig_H2 is int16, dig_H4 and dig_H5 are 12-bit signed, dig_H6 is int8. */
function signExtendHumidityCalibration(cal: Bmx280Calibration): void {
  cal.dig_H2 = signExtend(cal.dig_H2, 16);
  cal.dig_H4 = signExtend(cal.dig_H4, 12);
  cal.dig_H5 = signExtend(cal.dig_H5, 12);
  cal.dig_H6 = signExtend(cal.dig_H6, 8);
}
