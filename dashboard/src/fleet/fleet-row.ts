import type { FleetCounts, FleetRow } from '../api-types.js';
import { type DeviceRecord, isOnline } from './device-record.js';

/** One device in the fleet list (the `fleet` event's rows). */
export function toRow(record: DeviceRecord, lost: number): FleetRow {
  const latest = record.latest;
  return {
    device_id: record.device_id,
    online: isOnline(record),
    alerte: record.alerte,
    last_seen: record.last_seen === null ? null : new Date(record.last_seen).toISOString(),
    firmware: record.firmware,
    temperature: latest?.temperature ?? null,
    humidite: latest?.humidite ?? null,
    pression: latest?.pression ?? null,
    batterie: latest?.batterie ?? null,
    lost,
  };
}

/** The fleet at a glance. */
export function countsOf(records: Iterable<DeviceRecord>): FleetCounts {
  let devices = 0;
  let online = 0;
  let alerting = 0;
  for (const record of records) {
    devices += 1;
    if (isOnline(record)) online += 1;
    if (record.alerte) alerting += 1;
  }
  return { devices, online, offline: devices - online, alerting };
}
