/** Register 0xD0 of a Bosch BMx280 holds its chip id. */
export const CHIP_ID_REGISTER = 0xd0;
export const BME280_CHIP_ID = 0x60;
/** 0x56 and 0x57 are engineering samples; production BMP280s answer 0x58. */
export const BMP280_CHIP_IDS = [0x56, 0x57, 0x58] as const;
/** The two addresses a BMx280 can have: SDO tied to GND gives 0x76, to VDDIO 0x77. */
export const BMX280_ADDRESSES = [0x76, 0x77] as const;

export type Bmx280Chip = 'bme280' | 'bmp280';

export function chipFromId(chipId: number): Bmx280Chip | null {
  if (chipId === BME280_CHIP_ID) return 'bme280';
  return (BMP280_CHIP_IDS as readonly number[]).includes(chipId) ? 'bmp280' : null;
}

export function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}
