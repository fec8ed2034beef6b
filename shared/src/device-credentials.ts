import { DEVICE_ID_ACCEPTED, isValidDeviceId } from './device-id.js';

/**
 * A file of device credentials, one device a line, for a fleet of simulated devices (`npm run fleet -- device
 * add-many` writes it, `npm run simulate -- --credentials FILE` reads it):
 *
 *     device_id,username,password
 *     sim-00001,sim-00001,4kQ…
 *
 * The first line is that header; blank lines and lines starting with `#` are ignored. No quoting: the
 * passwords the fleet makes are base64url, without commas or spaces.
 */
export const DEVICE_CREDENTIALS_HEADER = 'device_id,username,password';

export interface DeviceCredentialLine {
  deviceId: string;
  username: string;
  password: string;
}

/** A credentials file that cannot be used; its message is the one sentence to print. */
export class DeviceCredentialsError extends Error {}

export function formatDeviceCredentials(lines: readonly DeviceCredentialLine[]): string {
  const rows = lines.map((line) => `${line.deviceId},${line.username},${line.password}`);
  return `${[DEVICE_CREDENTIALS_HEADER, ...rows].join('\n')}\n`;
}

/** The credentials of `text` by device id; throws a DeviceCredentialsError naming `path`, the line and what is accepted. */
export function parseDeviceCredentials(text: string, path: string): Map<string, DeviceCredentialLine> {
  const credentials = new Map<string, DeviceCredentialLine>();
  let header = false;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${path} line ${index + 1}`;
    if (!header) {
      if (line !== DEVICE_CREDENTIALS_HEADER) {
        throw new DeviceCredentialsError(
          `${where} is ${JSON.stringify(cut(line))}; accepted: the header "${DEVICE_CREDENTIALS_HEADER}" first.`,
        );
      }
      header = true;
      continue;
    }
    const fields = line.split(',');
    const [deviceId = '', username = '', password = ''] = fields;
    if (fields.length !== 3 || username === '' || password === '') {
      throw new DeviceCredentialsError(
        `${where} has ${fields.length} field(s)${fields.length === 3 ? ' with one empty' : ''}; accepted: device_id,username,password, none empty.`,
      );
    }
    if (!isValidDeviceId(deviceId)) {
      throw new DeviceCredentialsError(
        `${where} has device id ${JSON.stringify(cut(deviceId))}; accepted: ${DEVICE_ID_ACCEPTED}.`,
      );
    }
    if (credentials.has(deviceId)) {
      throw new DeviceCredentialsError(
        `${where} has device id "${deviceId}" a second time; accepted: each device once.`,
      );
    }
    credentials.set(deviceId, { deviceId, username, password });
  }
  if (!header) {
    throw new DeviceCredentialsError(
      `${path} is empty; accepted: the header "${DEVICE_CREDENTIALS_HEADER}" and one line per device.`,
    );
  }
  return credentials;
}

function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A numbered fleet of device ids: `sim-00001`, `sim-00002`, … (`npm run simulate`, `fleet device add-many`). */
export interface NumberedIds {
  prefix: string;
  /** How many. */
  devices: number;
  /** The number of the first. */
  first: number;
}

/** The id of device `number`: padded to at least five digits, more when the fleet's last number needs them. */
export function numberedDeviceId(fleet: NumberedIds, number: number): string {
  const width = Math.max(5, String(fleet.first + fleet.devices - 1).length);
  return `${fleet.prefix}${String(number).padStart(width, '0')}`;
}

/** The ids of a numbered fleet, in order. */
export function numberedDeviceIds(fleet: NumberedIds): string[] {
  return Array.from({ length: fleet.devices }, (_, index) => numberedDeviceId(fleet, fleet.first + index));
}
