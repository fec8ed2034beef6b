import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  DEVICE_ID_ACCEPTED,
  type DeviceCredentialLine,
  describeArgsError,
  formatDeviceCredentials,
  isValidDeviceId,
  type NumberedIds,
  numberedDeviceId,
  numberedDeviceIds,
  parseDeviceCredentials,
} from '@fleet/shared';
import { writeFileAtomic } from '../secure/file-access.js';
import type { DynsecAdmin } from './dynsec-admin.js';

/** Devices per message to the dynamic security plugin: about 600 bytes each, well under the 64 KiB packet limit. */
export const BULK_CHUNK = 50;
export const MAX_BULK_DEVICES = 50_000;

export const BULK_USAGE = `       npm run fleet -- [--data-dir DIR] device add-many --devices N [--prefix sim-] [--first 1] --out FILE
       npm run fleet -- [--data-dir DIR] device remove-many --devices N [--prefix sim-] [--first 1]

  device add-many    credentials for a numbered fleet of simulated devices (sim-00001, sim-00002, …, the ids
                     npm run simulate uses), written to FILE (mode 600) as device_id,username,password lines
                     for npm run simulate -- --credentials FILE. Run it again with the same FILE to add
                     devices: those already in FILE keep their credential
  device remove-many revokes the credentials of such a fleet`;

export type BulkCommand =
  | { kind: 'error'; error: string }
  | {
      kind: 'run';
      action: 'add-many' | 'remove-many';
      fleet: NumberedIds;
      out: string | null;
      dataDir: string;
    };

const OPTIONS = ['data-dir', 'devices', 'prefix', 'first', 'out'];

/** `device add-many …` and `device remove-many …`; null for any other command. */
export function bulkArguments(argv: readonly string[], defaultDataDir: string): BulkCommand | null {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const [noun, action] = argv.filter((arg) => !arg.startsWith('-'));
    if (noun !== 'device' || (action !== 'add-many' && action !== 'remove-many')) return null;
    return { kind: 'error', error: describeArgsError(error as Error, OPTIONS) };
  }
  const [noun, action, ...rest] = parsed.positionals;
  if (noun !== 'device' || (action !== 'add-many' && action !== 'remove-many')) return null;
  const { values } = parsed;
  const fail = (error: string): BulkCommand => ({ kind: 'error', error });
  if (rest.length > 0) {
    return fail(
      `Command "device ${action}" received ${JSON.stringify(rest.join(' '))}; accepted: options only.`,
    );
  }
  const devices = integer('--devices', values.devices, 1, MAX_BULK_DEVICES);
  if (typeof devices === 'string') return fail(devices);
  const first = integer('--first', values.first ?? '1', 0, 99_999_999);
  if (typeof first === 'string') return fail(first);
  const fleet = { prefix: values.prefix ?? 'sim-', devices, first };
  for (const number of [first, first + devices - 1]) {
    const id = numberedDeviceId(fleet, number);
    if (!isValidDeviceId(id)) {
      return fail(
        `Option --prefix received ${JSON.stringify(fleet.prefix)}, which makes device id ${JSON.stringify(id)}; accepted: a prefix that makes ${DEVICE_ID_ACCEPTED}.`,
      );
    }
  }
  const out = values.out ?? null;
  if (action === 'add-many' && (out === null || out.trim() === '')) {
    return fail(
      `Option --out received ${JSON.stringify(out ?? 'nothing')}; accepted: the file to write the credentials to.`,
    );
  }
  if (action === 'remove-many' && out !== null) {
    return fail(
      'Option --out is not accepted by "device remove-many"; accepted: --devices, --prefix, --first.',
    );
  }
  return { kind: 'run', action, fleet, out, dataDir: values['data-dir'] ?? defaultDataDir };
}

/** Runs a bulk command as the broker's administrator; resolves with the exit code. */
export async function runBulkCommand(
  command: Extract<BulkCommand, { kind: 'run' }>,
  admin: DynsecAdmin,
  io: { stdout: Writable; stderr: Writable },
): Promise<number> {
  const ids = numberedDeviceIds(command.fleet);
  if (command.action === 'remove-many') {
    let removed = 0;
    for (let start = 0; start < ids.length; start += BULK_CHUNK) {
      removed += await admin.removeDevices(ids.slice(start, start + BULK_CHUNK));
    }
    io.stderr.write(
      `Removed ${removed} credential(s) of ${ids[0]}…${ids.at(-1)} (${ids.length - removed} had none); those connected were disconnected.\n`,
    );
    return 0;
  }
  return addMany(ids, command.out as string, admin, io.stderr);
}

async function addMany(ids: string[], out: string, admin: DynsecAdmin, stderr: Writable): Promise<number> {
  const onBroker = new Set(await admin.listDevices());
  const lines = await readCredentials(out);
  const orphans = ids.filter((id) => onBroker.has(id) && !lines.has(id));
  if (orphans.length > 0) {
    stderr.write(
      `${orphans.length} of these devices already have a credential on the broker that ${out} does not hold (${orphans[0]}${orphans.length > 1 ? ', …' : ''}); nothing was changed: remove them first (device remove-many with the same options), or give the file that holds them.\n`,
    );
    return 1;
  }
  // A line for a device the broker no longer knows is stale: that device gets a new credential.
  const missing = ids.filter((id) => !onBroker.has(id));
  for (const id of missing) lines.delete(id);
  let failed = 0;
  const began = performance.now();
  let saidAt = began;
  for (let start = 0; start < missing.length; start += BULK_CHUNK) {
    if (performance.now() - saidAt > 10_000) {
      saidAt = performance.now();
      stderr.write(
        `… ${start} of ${missing.length} new credentials made in ${Math.round((saidAt - began) / 1000)} s\n`,
      );
    }
    const results = await admin.addDevices(missing.slice(start, start + BULK_CHUNK));
    for (const result of results) {
      if (result instanceof Error) {
        failed += 1;
        if (failed <= 5) stderr.write(`${result.message}\n`);
        continue;
      }
      lines.set(result.id, { deviceId: result.id, username: result.id, password: result.password });
    }
    await writeFileAtomic(out, formatDeviceCredentials([...lines.values()]), 0o600);
  }
  if (missing.length === 0) await writeFileAtomic(out, formatDeviceCredentials([...lines.values()]), 0o600);
  const kept = ids.length - missing.length;
  stderr.write(
    `${out}: ${missing.length - failed} new credential(s) and ${kept} kept for ${ids[0]}…${ids.at(-1)}${failed > 0 ? `; ${failed} could not be made` : ''}. Run them with the broker's connection lines: ENV_FILE=<data dir>/secure/client.env npm run simulate -- --devices ${ids.length} --prefix … --credentials ${out}\n`,
  );
  return failed > 0 ? 1 : 0;
}

/** The credentials already in `path`, or none when it does not exist. */
async function readCredentials(path: string): Promise<Map<string, DeviceCredentialLine>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  return parseDeviceCredentials(text, path);
}

function integer(name: string, raw: string | undefined, min: number, max: number): number | string {
  const value = Number(raw?.trim());
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    return `Option ${name} received ${JSON.stringify(raw ?? 'nothing')}; accepted: a whole number from ${min} to ${max}.`;
  }
  return value;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      devices: { type: 'string' },
      prefix: { type: 'string' },
      first: { type: 'string' },
      out: { type: 'string' },
    },
  });
}
