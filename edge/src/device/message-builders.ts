import {
  type Ack,
  type DeviceSettings,
  type EpochReason,
  type OnlineStatus,
  type OtaStatus,
  SCHEMA_VERSION,
  type SensorSource,
  type SensorStatus,
  type Telemetry,
} from '@fleet/shared';
import type { Reading } from '../sensor/types.js';
import type { EdgeSettings } from './settings.js';

/** Everything one telemetry message says, field for field in the wire format. */
export interface TelemetryParts {
  deviceId: string;
  reading: Reading;
  takenAt: Date;
  /** Whether the wall clock (`takenAt`) was synchronised when the reading was taken. */
  clockSynced: boolean;
  /** Whole seconds since the service started, from the monotonic clock. */
  uptime: number;
  /** The storage epoch `seq` counts in. */
  epoch: string;
  seq: number;
  source: SensorSource;
  batterie: number;
  settings: DeviceSettings;
  firmware: string;
  alerte: boolean;
}

/** False when the sensor gave something that is not a number (NaN, Infinity): such a reading is not sent. */
export function isFiniteReading(reading: Reading): boolean {
  return (
    Number.isFinite(reading.temperature) &&
    Number.isFinite(reading.pression) &&
    (reading.humidite === null || Number.isFinite(reading.humidite))
  );
}

export function buildTelemetry(parts: TelemetryParts): Telemetry {
  return {
    v: SCHEMA_VERSION,
    device_id: parts.deviceId,
    timestamp: parts.takenAt.toISOString(),
    temperature: parts.reading.temperature,
    humidite: parts.reading.humidite,
    pression: parts.reading.pression,
    batterie: parts.batterie,
    mode: parts.settings.mode,
    firmware: parts.firmware,
    alerte: parts.alerte,
    uptime: parts.uptime,
    seq: parts.seq,
    source: parts.source,
    epoch: parts.epoch,
    clock_synced: parts.clockSynced,
  };
}

export interface StatusParts {
  deviceId: string;
  firmware: string;
  settings: EdgeSettings;
  alerte: boolean;
  sensor: SensorStatus;
  ota: OtaStatus;
  now: Date;
  /** Whether the wall clock is synchronised now. */
  clockSynced: boolean;
  /** The storage epoch readings are counted in, and why it began. */
  epoch: string;
  epochReason: EpochReason;
}

/** The retained `{root}/{id}/status`: the device's state, kept by the broker while it is offline. */
export function buildOnlineStatus(parts: StatusParts): OnlineStatus {
  return {
    v: SCHEMA_VERSION,
    device_id: parts.deviceId,
    epoch: parts.epoch,
    epoch_reason: parts.epochReason,
    online: true,
    firmware: parts.firmware,
    mode: parts.settings.mode,
    intervalle: parts.settings.intervalle,
    seuil_alerte: parts.settings.seuil_alerte,
    actif: parts.settings.actif,
    correction_temperature: parts.settings.correction_temperature,
    correction_humidite: parts.settings.correction_humidite,
    correction_pression: parts.settings.correction_pression,
    altitude: parts.settings.altitude,
    alerte: parts.alerte,
    sensor: { ...parts.sensor },
    ota: { ...parts.ota },
    clock_synced: parts.clockSynced,
    timestamp: parts.now.toISOString(),
  };
}

export interface AckParts {
  deviceId: string;
  commandId: string | null;
  error: string | null;
  settings: EdgeSettings;
  firmware: string;
  now: Date;
}

/** `devices/{id}/ack`: applied when there is no error, rejected with the error sentence otherwise. */
export function buildAck(parts: AckParts): Ack {
  return {
    v: SCHEMA_VERSION,
    device_id: parts.deviceId,
    command_id: parts.commandId,
    status: parts.error === null ? 'applied' : 'rejected',
    error: parts.error,
    settings: { ...parts.settings },
    firmware: parts.firmware,
    timestamp: parts.now.toISOString(),
  };
}
