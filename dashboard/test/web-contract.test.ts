import type * as Contract from '@fleet/shared';
import {
  DEVICE_ID_PATTERN,
  EPOCH_REASONS,
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
// Mutual assignability alone lets an optional field be missing on one side (`{a: 1}` and `{a: 1, b?: 2}`
// are assignable both ways), so the mirrored objects must also have the same required and optional keys.
type OptionalKeys<T> = { [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;
type Exact<A, B> =
  Same<A, B> extends true
    ? Same<OptionalKeys<A>, OptionalKeys<B>> extends true
      ? Same<RequiredKeys<A>, RequiredKeys<B>>
      : false
    : false;
export const mirroredTypesMatch: [
  Exact<Web.Telemetry, Contract.Telemetry>,
  Exact<Web.DeviceSettings, Contract.DeviceSettings>,
  Exact<Web.OtaStatus, Contract.OtaStatus>,
  Exact<Web.SensorStatus, Contract.SensorStatus>,
  Exact<Web.OnlineStatus, Contract.OnlineStatus>,
  Exact<Web.OfflineStatus, Contract.OfflineStatus>,
  Exact<Web.Ack, Contract.Ack>,
  Same<Web.EpochReason, Contract.EpochReason>,
  Exact<Web.StoredReading, Api.StoredReading>,
  Exact<Web.DeliveryFigures, Api.DeliveryFigures>,
  Exact<Web.DeviceSummary, Api.DeviceSummary>,
  Exact<Web.BucketStats, Api.BucketStats>,
  Exact<Web.HistoryBucket, Api.HistoryBucket>,
  Exact<Web.HistoryResponse, Api.HistoryResponse>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// The event stream's fleet events, as the page reads them.
export const mirroredStreamTypesMatch: [
  Exact<Web.FleetCounts, Api.FleetCounts>,
  Exact<Web.FleetRow, Api.FleetRow>,
  Exact<Web.FleetEventData, Api.FleetEventData>,
  Exact<Web.ForgottenEvent, Api.ForgottenEvent>,
] = [true, true, true, true];

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
    expect(Web.EPOCH_REASONS).toEqual(EPOCH_REASONS);
    expect(Web.DEVICE_ID_PATTERN.source).toBe(DEVICE_ID_PATTERN.source);
  });

  it('has the same roles and password lengths as the server', () => {
    expect(Web.ROLES).toEqual(ROLES);
    expect([Web.PASSWORD_MIN, Web.PASSWORD_MAX]).toEqual([PASSWORD_MIN, PASSWORD_MAX]);
  });
});
