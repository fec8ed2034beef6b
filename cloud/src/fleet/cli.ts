import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { describeArgsError } from '@fleet/shared';
import { accessArguments, runAccessCommand } from './access-commands.js';
import { BULK_USAGE, bulkArguments, runBulkCommand } from './bulk-commands.js';
import { adminConnection, type EnvConnection } from './connect-options.js';
import { clientVariables, deviceEnvText, loopbackNote } from './device-env.js';
import { DynsecAdmin } from './dynsec-admin.js';
import { FORGET_USAGE, forgetArguments, runForgetCommand } from './forget-command.js';
import {
  HOMEASSISTANT_USAGE,
  homeAssistantArguments,
  runHomeAssistantCommand,
} from './homeassistant-command.js';

export const FLEET_USAGE = `Usage: npm run fleet -- [--data-dir DIR] device add ID [ID…]
       npm run fleet -- [--data-dir DIR] device remove ID [ID…]
       npm run fleet -- [--data-dir DIR] device list
${BULK_USAGE}
${FORGET_USAGE}
${HOMEASSISTANT_USAGE}
       npm run fleet -- [--data-dir DIR] user|token …   (the dashboard's users and API tokens: user --help)
       npm run fleet -- [--data-dir DIR] backup FILE [--force]   (a copy of the dashboard's database: backup --help)
       (in the broker's container: fleet device add ID …)

Manages the device credentials of the fleet's production broker (FLEET_ROLE=hub, the central compose file, or
npm start -- --secure), as its administrator, over MQTT with TLS.

  device add ID…     creates a credential per device (a random password, kept only hashed by the broker) and
                     prints the NAME=value lines to set on that device (its edge service's variables on balena)
  device remove ID…  revokes them at once: a connected device is disconnected and its next login refused
  device list        the devices that have a credential
  device add-many, device remove-many, device forget: see above

Options:
  --data-dir DIR     the broker's data folder (default .data; /mosquitto/data in its container): the command
                     reads DIR/secure/broker-admin.env (how to reach the broker as fleet-admin) and
                     DIR/secure/client.env (the lines every device gets)
  --help             this text

Environment: MQTT_BROKER, MQTT_PORT, MQTT_TLS, MQTT_CA_CERT, MQTT_TLS_SERVERNAME, MQTT_USERNAME and MQTT_PASSWORD
override the lines of broker-admin.env (e.g. MQTT_BROKER=mqtt.example.com from another machine), or replace it.
DASHBOARD_URL and DASHBOARD_TOKEN: the dashboard that device forget calls.`;

export const DEFAULT_FLEET_DATA_DIR = '.data';

export interface FleetIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

type Parsed =
  | { kind: 'help' }
  | { kind: 'error'; error: string }
  | { kind: 'run'; action: 'add' | 'remove' | 'list'; ids: string[]; dataDir: string };

const ACTIONS = ['add', 'remove', 'list'] as const;

export function parseFleetArgs(argv: readonly string[]): Parsed {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return { kind: 'error', error: describeArgsError(error as Error, ['data-dir', 'help']) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [noun, action, ...ids] = positionals;
  if (noun !== 'device') {
    return {
      kind: 'error',
      error: `Command ${JSON.stringify(noun ?? '')} is not accepted; accepted: device add, device remove, device list, device add-many, device remove-many, device forget, homeassistant add|remove, user …, token …, backup FILE (see --help).`,
    };
  }
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    return {
      kind: 'error',
      error: `Command "device ${action ?? ''}" is not accepted; accepted: device add ID…, device remove ID…, device list, device forget ID….`,
    };
  }
  if (action !== 'list' && ids.length === 0) {
    return {
      kind: 'error',
      error: `Command "device ${action}" received no device id; accepted: one id or more.`,
    };
  }
  if (action === 'list' && ids.length > 0) {
    return {
      kind: 'error',
      error: `Command "device list" received ${JSON.stringify(ids.join(' '))}; accepted: nothing after it.`,
    };
  }
  const dataDir = values['data-dir'] ?? DEFAULT_FLEET_DATA_DIR;
  if (dataDir.trim() === '')
    return { kind: 'error', error: 'Option --data-dir received ""; accepted: a folder path.' };
  return { kind: 'run', action: action as (typeof ACTIONS)[number], ids, dataDir };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean' } },
  });
}

/** `npm run fleet`: resolves with the exit code (0, or 1 when anything failed; each failure is one line). */
export async function runFleet(argv: readonly string[], io: FleetIo): Promise<number> {
  const access = accessArguments(argv, DEFAULT_FLEET_DATA_DIR);
  if (access) return runAccessCommand(access, io.stdout, io.stderr);
  const bulk = bulkArguments(argv, DEFAULT_FLEET_DATA_DIR);
  if (bulk?.kind === 'error') {
    io.stderr.write(`${bulk.error}\n`);
    return 1;
  }
  if (bulk) return withAdmin(bulk.dataDir, io, (admin) => runBulkCommand(bulk, admin, io));
  const forget = forgetArguments(argv);
  if (forget?.kind === 'error') {
    io.stderr.write(`${forget.error}\n`);
    return 1;
  }
  if (forget) return runForgetCommand(forget.ids, io);
  const homeAssistant = homeAssistantArguments(argv, DEFAULT_FLEET_DATA_DIR);
  if (homeAssistant?.kind === 'error') {
    io.stderr.write(`${homeAssistant.error}\n`);
    return 1;
  }
  if (homeAssistant) {
    const { dataDir } = homeAssistant;
    return withAdmin(dataDir, io, (admin, connection) =>
      runHomeAssistantCommand(homeAssistant, admin, () => clientVariables(dataDir, connection), io),
    );
  }
  const parsed = parseFleetArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout.write(`${FLEET_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`${parsed.error}\n`);
    return 1;
  }
  return withAdmin(parsed.dataDir, io, (admin, connection) => runAction(parsed, admin, connection, io));
}

/** Connects as the broker's administrator, runs `work`, and closes; a failure is one line and exit code 1. */
async function withAdmin(
  dataDir: string,
  io: FleetIo,
  work: (admin: DynsecAdmin, connection: EnvConnection) => Promise<number>,
): Promise<number> {
  let connection: EnvConnection;
  let admin: DynsecAdmin;
  try {
    connection = await adminConnection(dataDir, io.env);
    admin = await DynsecAdmin.connect({ ...connection.options, topics: connection.topics });
  } catch (error) {
    io.stderr.write(`The broker's administrator could not connect: ${sentence(error)}\n`);
    return 1;
  }
  try {
    return await work(admin, connection);
  } catch (error) {
    io.stderr.write(`${sentence(error)}\n`);
    return 1;
  } finally {
    await admin.close();
  }
}

async function runAction(
  parsed: Extract<Parsed, { kind: 'run' }>,
  admin: DynsecAdmin,
  connection: EnvConnection,
  io: FleetIo,
): Promise<number> {
  if (parsed.action === 'list') {
    const ids = await admin.listDevices();
    if (ids.length === 0) io.stderr.write(`No device has a credential on ${connection.url} yet.\n`);
    for (const id of ids) io.stdout.write(`${id}\n`);
    return 0;
  }
  let failed = 0;
  const client = parsed.action === 'add' ? await clientVariables(parsed.dataDir, connection) : {};
  for (const [index, id] of parsed.ids.entries()) {
    try {
      if (parsed.action === 'add') {
        const credential = await admin.addDevice(id);
        io.stdout.write(`${index > 0 ? '\n' : ''}${deviceEnvText(client, credential)}`);
      } else {
        await admin.removeDevice(id);
        io.stderr.write(
          `Removed ${id}: its credential is revoked; it was disconnected if connected, and its next login is refused. The dashboard keeps its data (device forget ${id} removes it).\n`,
        );
      }
    } catch (error) {
      failed += 1;
      io.stderr.write(`${sentence(error)}\n`);
    }
  }
  const note = parsed.action === 'add' && failed < parsed.ids.length ? loopbackNote(client) : null;
  if (note) io.stderr.write(`Note: ${note}\n`);
  return failed > 0 ? 1 : 0;
}

function sentence(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.?$/, '.');
}
