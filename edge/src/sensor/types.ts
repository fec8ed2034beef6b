import type { SensorSource } from '@fleet/shared';

/** One measurement, before calibration offsets or device bookkeeping are added. */
export interface Reading {
  /** °C */
  temperature: number;
  /** %RH, or null for a BMP280, which has no humidity sensor. */
  humidite: number | null;
  /** hPa */
  pression: number;
}

/** Where readings come from: a real BME280/BMP280 on I²C, or the synthetic day/night model. */
export interface SensorReader {
  readonly source: SensorSource;
  /** I²C bus number, null for the synthetic model. */
  readonly bus: number | null;
  /** "0x76" or "0x77", null for the synthetic model. */
  readonly address: string | null;
  /** Takes one reading; rejects with an Error that says what failed (e.g. an I²C read error). */
  read(): Promise<Reading>;
  close(): Promise<void>;
}
