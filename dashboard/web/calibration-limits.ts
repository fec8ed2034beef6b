/** The contract's calibration ranges (mirrors shared/src/limits.ts; web-calibration-contract.test checks). */
export const TEMPERATURE_CORRECTION_MAX_C = 20;
export const HUMIDITY_CORRECTION_MAX_RH = 20;
export const PRESSURE_CORRECTION_MAX_HPA = 50;
export const ALTITUDE_MIN_M = -500;
export const ALTITUDE_MAX_M = 9000;
