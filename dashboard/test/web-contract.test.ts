import type * as Contract from '@fleet/shared';
import {
  FIRMWARE_VERSION_PATTERN,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  MODES,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
} from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { PASSWORD_MAX, PASSWORD_MIN, ROLES } from '../src/access/roles.js';
import type * as Api from '../src/api-types.js';
import * as Web from '../web/types.js';

// The page is compiled on its own, without zod, so it mirrors the contract in dashboard/web/types.ts.
// These checks keep the mirror equal to the contract: the types at compile time (`npm test` type-checks
// the tests before running them), the values at run time.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const mirroredTypesMatch: [
  Same<Web.Telemetry, Contract.Telemetry>,
  Same<Web.DeviceSettings, Contract.DeviceSettings>,
  Same<Web.OtaStatus, Contract.OtaStatus>,
  Same<Web.SensorStatus, Contract.SensorStatus>,
  Same<Web.OnlineStatus, Contract.OnlineStatus>,
  Same<Web.OfflineStatus, Contract.OfflineStatus>,
  Same<Web.Ack, Contract.Ack>,
  Same<Web.DeviceSummary, Api.DeviceSummary>,
] = [true, true, true, true, true, true, true, true];

// Access control and the command trail, as the page reads them.
export const mirroredAccessTypesMatch: [
  Same<Web.RoleName, Api.RoleName>,
  Same<Web.MeResponse, Api.MeResponse>,
  Same<Web.LoginRequest, Api.LoginRequest>,
  Same<Web.PasswordChangeRequest, Api.PasswordChangeRequest>,
  Same<Web.CommandOutcomeName, Api.CommandOutcomeName>,
  Same<Web.CommandLogEntry, Api.CommandLogEntry>,
  Same<Web.CommandLogResponse, Api.CommandLogResponse>,
  Same<Web.TokenSummary, Api.TokenSummary>,
  Same<Web.TokensResponse, Api.TokensResponse>,
  Same<Web.TokenCreatedResponse, Api.TokenCreatedResponse>,
] = [true, true, true, true, true, true, true, true, true, true];

describe("the page's copy of the contract", () => {
  it('has the same modes, ranges and firmware version pattern as shared/', () => {
    expect(Web.MODES).toEqual(MODES);
    expect([Web.INTERVAL_MIN_S, Web.INTERVAL_MAX_S]).toEqual([INTERVAL_MIN_S, INTERVAL_MAX_S]);
    expect([Web.THRESHOLD_MIN_C, Web.THRESHOLD_MAX_C]).toEqual([THRESHOLD_MIN_C, THRESHOLD_MAX_C]);
    expect(Web.FIRMWARE_VERSION_PATTERN.source).toBe(FIRMWARE_VERSION_PATTERN.source);
  });

  it('has the same roles and password lengths as the server', () => {
    expect(Web.ROLES).toEqual(ROLES);
    expect([Web.PASSWORD_MIN, Web.PASSWORD_MAX]).toEqual([PASSWORD_MIN, PASSWORD_MAX]);
  });
});
