import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { pino } from 'pino';

/** Brokers in tests log nothing; failures are in the assertions. */
export const quietLogger = pino({ level: 'silent' });

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

const clients = new Set<MqttClient>();

/** Connects without user name or password (the development profile is anonymous); no retry. */
export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  clients.add(client);
  return client;
}

/**
 * Starts connecting and returns at once, so listeners can be attached before the broker sends anything (a
 * persistent session's queued messages come right after CONNACK). Await `whenConnected(client)`.
 */
export function openClient(url: string, options: IClientOptions = {}): MqttClient {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  clients.add(client);
  return client;
}

/** Ends every client connected with connectClient; call in afterEach. */
export async function endClients(): Promise<void> {
  await Promise.all([...clients].map((client) => client.endAsync(true)));
  clients.clear();
}

/** The next message the client receives on `topic`, or a rejection naming the topic after `timeoutMs`. */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 5_000): Promise<Received> {
  return new Promise((resolve, reject) => {
    const onMessage = (received: string, payload: Buffer, packet: { retain?: boolean }) => {
      if (received !== topic) return;
      cleanup();
      resolve({ topic: received, payload: payload.toString('utf8'), retain: packet.retain === true });
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`No message on ${topic} within ${timeoutMs} ms.`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('message', onMessage);
    };
    client.on('message', onMessage);
  });
}

/** The CONNACK of a client made with openClient; rejects on a connection error. */
export function whenConnected(client: MqttClient): Promise<IConnackPacket> {
  return new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
}

/** Resolves when the client's connection closes (e.g. the broker stopped). */
export function whenClosed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** The SUBACK return codes of one SUBSCRIBE (mqtt.js rejects when any is 0x80, with the packet attached). */
export async function grantedCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  const wanted = Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const }]));
  try {
    return (await client.subscribeAsync(wanted)).map((grant) => grant.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: (number | object)[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted.map((grant) => (typeof grant === 'number' ? grant : -1));
  }
}
