import { createRequire } from 'node:module';

/**
 * The part of an `i2c-bus` Bus that the sensor code uses: the callback methods and the two sync reads
 * that bme280-sensor 0.1.7 calls (it reads calibration with readByteSync/readWordSync). A real
 * `i2c-bus` Bus fits this interface; tests pass an emulated chip behind the same methods.
 */
export interface I2cBusLike {
  readByte(address: number, command: number, callback: (error: Error | null, byte: number) => void): void;
  writeByte(address: number, command: number, byte: number, callback: (error: Error | null) => void): void;
  readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
    callback: (error: Error | null, bytesRead: number, buffer: Buffer) => void,
  ): void;
  readByteSync(address: number, command: number): number;
  readWordSync(address: number, command: number): number;
  close(callback: (error: Error | null) => void): void;
}

/**
 * Opens I²C bus N. This is the seam between the sensor code and the hardware: production uses
 * `openI2cBus` (the `i2c-bus` package), tests pass an opener that returns an emulated bus.
 */
export type I2cBusOpener = (busNumber: number) => Promise<I2cBusLike>;

/** The device file of I²C bus N, as the kernel's i2c-dev driver names it. */
export const defaultI2cDevPath = (busNumber: number): string => `/dev/i2c-${busNumber}`;

/**
 * The real opener. `i2c-bus` (a native module) is loaded on first use, not at import time. Its Bus opens
 * /dev/i2c-N lazily, at the first transfer to each address, so errors show up on the first read.
 */
export const openI2cBus: I2cBusOpener = async (busNumber) => {
  const i2c = createRequire(import.meta.url)('i2c-bus') as typeof import('i2c-bus');
  return await new Promise<I2cBusLike>((resolve, reject) => {
    const bus = i2c.open(busNumber, (error: Error | null) => (error ? reject(error) : resolve(bus)));
  });
};

export function readByteAsync(bus: I2cBusLike, address: number, register: number): Promise<number> {
  return new Promise((resolve, reject) => {
    bus.readByte(address, register, (error, byte) => (error ? reject(error) : resolve(byte)));
  });
}

/** Closes a bus; a failure to close is not worth failing over, so it is swallowed. */
export function closeBusQuietly(bus: I2cBusLike): Promise<void> {
  return new Promise((resolve) => {
    try {
      bus.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** The errno code of an I/O error (EREMOTEIO, EIO, EACCES…), or the message when there is none. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}

/** bme280-sensor rejects some promises with plain strings; everything past this point is an Error. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
