import {
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  type CALIBRATION_FIELDS,
  type Command,
  HUMIDITY_CORRECTION_MAX_RH,
  PRESSURE_CORRECTION_MAX_HPA,
  TEMPERATURE_CORRECTION_MAX_C,
} from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import * as Web from '../web/calibration-limits.js';
import type { CommandFields } from '../web/types.js';

// The page's calibration form mirrors the contract's ranges and command fields (it is compiled on its own).
type CalibrationOf<T> = Pick<T, Extract<keyof T, (typeof CALIBRATION_FIELDS)[number]>>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const calibrationCommandMatches: Same<CalibrationOf<CommandFields>, CalibrationOf<Command>> = true;

describe("the page's copy of the calibration ranges", () => {
  it("is the contract's", () => {
    expect([
      Web.TEMPERATURE_CORRECTION_MAX_C,
      Web.HUMIDITY_CORRECTION_MAX_RH,
      Web.PRESSURE_CORRECTION_MAX_HPA,
      Web.ALTITUDE_MIN_M,
      Web.ALTITUDE_MAX_M,
    ]).toEqual([
      TEMPERATURE_CORRECTION_MAX_C,
      HUMIDITY_CORRECTION_MAX_RH,
      PRESSURE_CORRECTION_MAX_HPA,
      ALTITUDE_MIN_M,
      ALTITUDE_MAX_M,
    ]);
  });
});
