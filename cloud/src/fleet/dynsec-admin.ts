import { randomUUID } from 'node:crypto';
import { Topics } from '@fleet/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { newPassword } from '../secure/env-files.js';
import {
  assertDeviceId,
  deviceClientId,
  deviceRole,
  deviceRoleName,
  RESERVED_NAMES,
} from '../secure/roles.js';

export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = '$CONTROL/dynamic-security/v1/response';
/**
 * How long a message of many devices may take: Mosquitto 2.0's plugin writes its whole file after each command,
 * so a message of 100 commands on a broker that knows thousands of devices takes seconds to minutes.
 */
const BULK_TIMEOUT_MS = 300_000;

/** One command of the dynamic security API. */
export interface Command {
  command: string;
  [field: string]: unknown;
}

/** One answer; `error` is the plugin's own phrase, e.g. "Client already exists". */
export interface Response {
  command: string;
  error?: string;
  correlationData?: string;
  data?: unknown;
}

export interface DeviceCredential {
  /** The device id, which is also its user name. */
  id: string;
  /** Its client id: the credential is refused with any other. */
  clientId: string;
  password: string;
}

export interface DynsecAdminOptions {
  /** How long to wait for the broker's answer to a command; default 5 s. */
  timeoutMs?: number;
  /** The fleet's topics (MQTT_TOPIC_ROOT): a device's role allows its own topics under this root. */
  topics?: Topics;
}

/**
 * Adds, removes and lists device credentials on a running broker through Mosquitto's dynamic security API
 * ($CONTROL/dynamic-security/v1), over an MQTT client connected as fleet-admin. Each command carries its
 * own correlationData, so answers to other admin clients (the plugin sends every answer to every
 * subscriber of the response topic) are ignored. Errors are one sentence.
 */
export class DynsecAdmin {
  private subscribed: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private readonly topics: Topics;

  constructor(
    private readonly client: MqttClient,
    options: DynsecAdminOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.topics = options.topics ?? new Topics();
  }

  /**
   * Connects with `options` (host, port, TLS and the fleet-admin login, e.g. adminConnection().options; no
   * retry) and returns an admin that owns that client: `close()` ends it.
   */
  static async connect(options: IClientOptions & DynsecAdminOptions): Promise<DynsecAdmin> {
    const client = await mqtt.connectAsync({
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      clientId: `fleet-admin-${randomUUID().slice(0, 8)}`,
      ...options,
    });
    return new DynsecAdmin(client, options);
  }

  /** A new device credential: its role (its own topics only) and its client, bound to client id edge-<id>. */
  async addDevice(id: string): Promise<DeviceCredential> {
    assertDeviceId(id);
    const password = newPassword();
    const clientId = deviceClientId(id);
    const [created, client] = await this.send(createDeviceCommands(this.topics, { id, clientId, password }));
    if (client?.error === 'Client already exists') {
      throw new Error(
        `Device "${id}" already exists on the broker; remove it first (fleet device remove ${id}).`,
      );
    }
    for (const answer of [created, client]) {
      if (answer?.error && answer.error !== 'Role already exists') refused(answer, id);
    }
    return { id, clientId, password };
  }

  /**
   * Credentials for many devices, `createRole` and `createClient` for all of them in one message (the plugin
   * then saves its file once, not once per device). Gives a credential, or the sentence why not, per id.
   */
  async addDevices(ids: readonly string[]): Promise<Array<DeviceCredential | Error>> {
    for (const id of ids) assertDeviceId(id);
    const credentials = ids.map((id) => ({ id, clientId: deviceClientId(id), password: newPassword() }));
    const answers = await this.send(
      credentials.flatMap((credential) => createDeviceCommands(this.topics, credential)),
      BULK_TIMEOUT_MS,
    );
    return credentials.map((credential, index) => {
      const client = answers[2 * index + 1];
      if (client?.error === 'Client already exists') {
        return new Error(`Device "${credential.id}" already exists on the broker; remove it first.`);
      }
      for (const answer of [answers[2 * index], client]) {
        if (!answer) return new Error(`The broker did not answer for device "${credential.id}".`);
        if (answer.error && answer.error !== 'Role already exists') {
          return new Error(
            `The broker refused ${answer.command} for device "${credential.id}": ${answer.error}.`,
          );
        }
      }
      return credential;
    });
  }

  /**
   * Revokes many devices in one message (clients, then roles); their retained availability becomes `offline`.
   * Gives how many had a credential.
   */
  async removeDevices(ids: readonly string[]): Promise<number> {
    for (const id of ids) assertDeviceId(id);
    const answers = await this.send(
      ids.flatMap((id) => [
        { command: 'deleteClient', username: id },
        { command: 'deleteRole', rolename: deviceRoleName(id) },
      ]),
      BULK_TIMEOUT_MS,
    );
    for (const answer of answers) {
      if (answer?.error && !/not found$/.test(answer.error)) refused(answer);
    }
    const removed = ids.filter((_, index) => !answers[2 * index]?.error);
    await Promise.all(
      removed.map((id) =>
        this.client.publishAsync(this.topics.availability(id), 'offline', { qos: 1, retain: true }),
      ),
    );
    return removed.length;
  }

  /**
   * Revokes a device: its client is deleted (the broker disconnects it at once and refuses its next
   * CONNECT), then its role, then its retained availability becomes `offline` so the dashboard shows it so.
   */
  async removeDevice(id: string): Promise<void> {
    assertDeviceId(id);
    const [client, role] = await this.send([
      { command: 'deleteClient', username: id },
      { command: 'deleteRole', rolename: deviceRoleName(id) },
    ]);
    if (client?.error === 'Client not found' && role?.error === 'Role not found') {
      throw new Error(`Device "${id}" is not on the broker; "fleet device list" shows those that are.`);
    }
    for (const answer of [client, role]) {
      if (answer?.error && !/not found$/.test(answer.error)) refused(answer, id);
    }
    // Its retained status keeps its last known state; its retained availability says it is gone.
    await this.client.publishAsync(this.topics.availability(id), 'offline', { qos: 1, retain: true });
  }

  /** The ids of the devices that have a credential, sorted. */
  async listDevices(): Promise<string[]> {
    const [answer] = await this.send([{ command: 'listClients' }]);
    if (!answer || answer.error) refused(answer ?? { command: 'listClients', error: 'no answer' });
    const clients = (answer?.data as { clients?: unknown[] } | undefined)?.clients ?? [];
    return clients
      .map((client) => (typeof client === 'string' ? client : (client as { username?: string }).username))
      .filter((name): name is string => typeof name === 'string' && !RESERVED_NAMES.includes(name))
      .sort();
  }

  /** Ends the MQTT client. */
  async close(): Promise<void> {
    await this.client.endAsync();
  }

  private subscribe(): Promise<void> {
    this.subscribed ??= this.client.subscribeAsync(RESPONSE_TOPIC, { qos: 0 }).then((granted) => {
      if (granted.some((grant) => grant.qos >= 0x80)) {
        throw new Error(
          `The broker refused this client a subscription to ${RESPONSE_TOPIC}; connect with the fleet-admin credential (broker-admin.env).`,
        );
      }
    });
    return this.subscribed;
  }

  /**
   * Sends the commands in one message and resolves with their answers, in the same order (an answer's
   * `error` is the plugin's own phrase).
   */
  async send(commands: Command[], timeoutMs: number = this.timeoutMs): Promise<(Response | undefined)[]> {
    await this.subscribe();
    const correlation = randomUUID();
    const tagged = commands.map((command, index) => ({
      ...command,
      correlationData: `${correlation}/${index}`,
    }));
    let stopWaiting: () => void = () => undefined;
    const answers = new Promise<(Response | undefined)[]>((resolve, reject) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic !== RESPONSE_TOPIC) return;
        let responses: Response[];
        try {
          responses = (JSON.parse(payload.toString('utf8')) as { responses?: Response[] }).responses ?? [];
        } catch {
          return;
        }
        const ours = tagged.map(({ correlationData }) =>
          responses.find((response) => response.correlationData === correlationData),
        );
        if (ours.every((response) => response === undefined)) return;
        cleanup();
        resolve(ours);
      };
      const timer = setTimeout(() => {
        cleanup();
        const names = [...new Set(commands.map((command) => command.command))].join(' and ');
        const what = commands.length > 2 ? `${commands.length} commands (${names})` : names;
        reject(
          new Error(
            `The broker did not answer ${what} within ${timeoutMs / 1000} s; is it the fleet's broker, with the dynamic security plugin, and is this client fleet-admin?`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.client.off('message', onMessage);
      };
      stopWaiting = cleanup;
      this.client.on('message', onMessage);
    });
    // The answer may time out while the publish still waits for its PUBACK: the caller gets it from `answers`.
    answers.catch(() => undefined);
    try {
      await this.client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
    } catch (error) {
      stopWaiting();
      throw new Error(`The commands could not be sent to the broker: ${(error as Error).message}.`);
    }
    return answers;
  }
}

/** The plugin's commands that make one device's role (its topics) and its client (login bound to its client id). */
function createDeviceCommands(topics: Topics, { id, clientId, password }: DeviceCredential) {
  const role = deviceRole(id, topics);
  return [
    { command: 'createRole', rolename: role.rolename, acls: role.acls, textname: `Device ${id}` },
    {
      command: 'createClient',
      username: id,
      password,
      clientid: clientId,
      textname: `Device ${id}`,
      roles: [{ rolename: role.rolename }],
    },
  ];
}

function refused(answer: Response, id?: string): never {
  const target = id === undefined ? '' : ` for device "${id}"`;
  throw new Error(`The broker refused ${answer.command}${target}: ${answer.error}.`);
}
