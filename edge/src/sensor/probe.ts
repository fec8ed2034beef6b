import { stat } from 'node:fs/promises';
import type { Logger } from '@fleet/shared';
import {
  BME280_CHIP_ID,
  BMP280_CHIP_IDS,
  BMX280_ADDRESSES,
  type Bmx280Chip,
  CHIP_ID_REGISTER,
  chipFromId,
  hexByte,
} from './chip-id.js';
import {
  closeBusQuietly,
  defaultI2cDevPath,
  errorCode,
  type I2cBusLike,
  type I2cBusOpener,
  openI2cBus,
  readByteAsync,
  toError,
} from './i2c.js';

export type I2cAddressOption = 'auto' | 0x76 | 0x77;

export type ProbeResult = { ok: true; chip: Bmx280Chip; address: number } | { ok: false; reason: string };

export interface ProbeOptions {
  bus: number;
  /** 'auto' tries 0x76, then 0x77. */
  address: I2cAddressOption;
  /** Default: the real `i2c-bus`. */
  opener?: I2cBusOpener;
  /** Where bus N's device file is; default /dev/i2c-N. Tests point it at a temporary folder. */
  devPath?: (bus: number) => string;
  logger?: Logger;
}

const PERMISSION_CODES = new Set(['EACCES', 'EPERM']);

/**
 * Looks for a BME280 or BMP280 by reading its chip id (register 0xD0). The reason of a failure is one
 * sentence meant for the operator: the bus device file is missing, nothing answered, or a chip answered
 * with an id that is not a BMx280's.
 */
export async function probeSensor(options: ProbeOptions): Promise<ProbeResult> {
  const { bus: busNumber } = options;
  const path = (options.devPath ?? defaultI2cDevPath)(busNumber);
  const missing = missingBusReason(busNumber, path);
  try {
    await stat(path);
  } catch (error) {
    return {
      ok: false,
      reason: errorCode(error) === 'ENOENT' ? missing : `${path}: ${toError(error).message}`,
    };
  }

  let bus: I2cBusLike;
  try {
    bus = await (options.opener ?? openI2cBus)(busNumber);
  } catch (error) {
    return {
      ok: false,
      reason: `I²C bus ${busNumber} (${path}) could not be opened: ${toError(error).message}`,
    };
  }

  try {
    const addresses = options.address === 'auto' ? BMX280_ADDRESSES : [options.address];
    const findings: string[] = [];
    let wrongChip = false;
    for (const address of addresses) {
      let chipId: number;
      try {
        chipId = await readByteAsync(bus, address, CHIP_ID_REGISTER);
      } catch (error) {
        const code = errorCode(error);
        options.logger?.debug(
          { bus: busNumber, address: hexByte(address), code },
          'no answer to the chip id read',
        );
        if (code === 'ENOENT') return { ok: false, reason: missing };
        if (PERMISSION_CODES.has(code)) {
          return {
            ok: false,
            reason: `I²C bus ${busNumber} cannot be used: ${path} refused access (${code}); the container needs the device (on balena: run the service privileged, or list ${path} under devices)`,
          };
        }
        findings.push(`nothing answered at ${hexByte(address)} (${code})`);
        continue;
      }
      const chip = chipFromId(chipId);
      options.logger?.debug(
        { bus: busNumber, address: hexByte(address), chipId: hexByte(chipId), chip },
        'chip id read',
      );
      if (chip) return { ok: true, chip, address };
      wrongChip = true;
      findings.push(`wrong chip id ${hexByte(chipId)} at ${hexByte(address)}`);
    }
    const hint = wrongChip
      ? `a BME280 has chip id ${hexByte(BME280_CHIP_ID)}, a BMP280 ${BMP280_CHIP_IDS.map(hexByte).join(', ')}`
      : 'check the wiring (SDA, SCL, 3.3 V, GND) and the address (SDO to GND gives 0x76, to 3.3 V 0x77)';
    return {
      ok: false,
      reason: `No BME280 or BMP280 on I²C bus ${busNumber}: ${findings.join(', ')}; ${hint}.`,
    };
  } finally {
    await closeBusQuietly(bus);
  }
}

function missingBusReason(busNumber: number, path: string): string {
  return `I²C bus ${busNumber} not found: ${path} is missing; enable I²C (on balena: BALENA_HOST_CONFIG_dtparam="i2c_arm=on")`;
}
