import type { Writable } from 'node:stream';
import { formatEnvFile } from '@fleet/shared';
import { newPassword } from '../secure/env-files.js';
import { HOME_ASSISTANT_USER } from '../secure/roles.js';
import type { ClientVariables } from './device-env.js';
import type { DynsecAdmin } from './dynsec-admin.js';

export const HOMEASSISTANT_USAGE = `       npm run fleet -- [--data-dir DIR] homeassistant add|remove

  homeassistant add     creates Home Assistant's credential on the broker (user ${HOME_ASSISTANT_USER}, a random
                        password) and prints what to enter in Home Assistant's MQTT integration; its role lets it
                        read the devices' data, status, availability and acks and the discovery prefix, publish
                        its birth message and ask for commands on {root}/<id>/set, nothing else
  homeassistant remove  revokes it (a connected Home Assistant is disconnected at once)`;

export type HomeAssistantCommand =
  | { kind: 'error'; error: string }
  | { kind: 'run'; action: 'add' | 'remove'; dataDir: string };

/** `homeassistant add|remove` with an optional `--data-dir DIR`; null for any other command. */
export function homeAssistantArguments(
  argv: readonly string[],
  defaultDataDir: string,
): HomeAssistantCommand | null {
  const rest: string[] = [];
  let dataDir = defaultDataDir;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--data-dir') {
      dataDir = argv[index + 1] ?? '';
      index += 1;
    } else if (arg.startsWith('--data-dir=')) dataDir = arg.slice('--data-dir='.length);
    else rest.push(arg);
  }
  const [noun, action, ...extra] = rest;
  if (noun !== 'homeassistant') return null;
  if (action !== 'add' && action !== 'remove') {
    return {
      kind: 'error',
      error: `Command "homeassistant ${action ?? ''}" is not accepted; accepted: homeassistant add, homeassistant remove.`,
    };
  }
  if (extra.length > 0) {
    return {
      kind: 'error',
      error: `Command "homeassistant ${action}" received ${JSON.stringify(extra.join(' '))}; accepted: nothing after it.`,
    };
  }
  if (dataDir.trim() === '')
    return { kind: 'error', error: 'Option --data-dir received ""; accepted: a folder path.' };
  return { kind: 'run', action, dataDir };
}

/** Creates or revokes Home Assistant's credential; resolves with the exit code. */
export async function runHomeAssistantCommand(
  command: Extract<HomeAssistantCommand, { kind: 'run' }>,
  admin: DynsecAdmin,
  client: () => Promise<ClientVariables>,
  io: { stdout: Writable; stderr: Writable },
): Promise<number> {
  if (command.action === 'remove') {
    const [answer] = await admin.send([{ command: 'deleteClient', username: HOME_ASSISTANT_USER }]);
    if (answer?.error === 'Client not found') {
      io.stderr.write('Home Assistant has no credential on the broker; nothing was removed.\n');
      return 1;
    }
    if (answer?.error) throw new Error(`The broker refused deleteClient for Home Assistant: ${answer.error}`);
    io.stderr.write(
      "Removed Home Assistant's credential: it was disconnected if connected, and its next login is refused.\n",
    );
    return 0;
  }
  const password = newPassword();
  const [answer] = await admin.send([
    {
      command: 'createClient',
      username: HOME_ASSISTANT_USER,
      password,
      textname: 'Home Assistant',
      roles: [{ rolename: HOME_ASSISTANT_USER }],
    },
  ]);
  if (answer?.error === 'Client already exists') {
    io.stderr.write(
      'Home Assistant already has a credential on the broker; to make a new password, remove it first (fleet homeassistant remove), then add it again.\n',
    );
    return 1;
  }
  if (answer?.error) throw new Error(`The broker refused createClient for Home Assistant: ${answer.error}`);
  io.stdout.write(homeAssistantText(await client(), password));
  return 0;
}

/** The lines printed for Home Assistant: where each goes in its MQTT integration, then the values. */
export function homeAssistantText(client: ClientVariables, password: string): string {
  const variables: Record<string, string> = {
    MQTT_BROKER: client.MQTT_BROKER ?? 'localhost',
    MQTT_PORT: client.MQTT_PORT ?? '8883',
    MQTT_USERNAME: HOME_ASSISTANT_USER,
    MQTT_PASSWORD: password,
  };
  if (client.MQTT_TLS) variables.MQTT_TLS = client.MQTT_TLS;
  if (client.MQTT_CA_CERT) variables.MQTT_CA_CERT = client.MQTT_CA_CERT;
  return formatEnvFile(variables, [
    'Home Assistant: Settings > Devices & services > Add integration > MQTT, then enter Broker (MQTT_BROKER),',
    'Port (MQTT_PORT), Username and Password; under Advanced options, set Broker certificate validation to',
    '"Custom" and upload the CA: echo <MQTT_CA_CERT> | base64 -d > fleet-ca.crt. Keep the discovery prefix',
    "the same as the dashboard's HA_DISCOVERY_PREFIX, and set HA_DISCOVERY=on on the dashboard.",
  ]);
}
