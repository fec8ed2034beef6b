import { isValidDeviceId } from './device-id.js';
import { type EnvVar, envParsers } from './env-config.js';

/** The default first level of every topic: `devices/{id}/…`. */
export const DEFAULT_TOPIC_ROOT = 'devices';

export const MESSAGE_KINDS = ['data', 'commands', 'ack', 'status', 'availability'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** The last level of the bridge topic `{root}/{id}/set` (see Topics.set); not a MessageKind. */
export const SET_LEVEL = 'set';

/** Every topic of the contract is published with QoS 1. */
export const QOS = 1 as const;

/** One or more levels of letters, digits, "_", "." or "-": no wildcard, no "$" (reserved by brokers). */
export const TOPIC_ROOT_PATTERN = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** MQTT_TOPIC_ROOT, the same in every service: a fleet can share a broker (Home Assistant's) with others. */
export const topicRootVar: EnvVar<string> = {
  env: 'MQTT_TOPIC_ROOT',
  doc: 'First level(s) of every topic of the fleet ({root}/{id}/data, …), so that it can share a broker with other systems; the same on every device, the dashboard and the broker.',
  default: DEFAULT_TOPIC_ROOT,
  accepted:
    'one or more levels of letters, digits, "_", "." or "-" separated by "/", such as devices or home/sensors (no "+", "#" or "$")',
  parse: envParsers.matching(TOPIC_ROOT_PATTERN),
};

export interface ParsedTopic {
  deviceId: string;
  kind: MessageKind;
}

/** The topics of a fleet under one root: `{root}/{id}/{kind}`. */
export class Topics {
  private readonly depth: number;

  constructor(readonly root: string = DEFAULT_TOPIC_ROOT) {
    if (!TOPIC_ROOT_PATTERN.test(root)) throw new Error(`Topic root ${JSON.stringify(root)} is not valid.`);
    this.depth = root.split('/').length;
  }

  topicFor(deviceId: string, kind: MessageKind): string {
    if (!isValidDeviceId(deviceId))
      throw new Error(`Device id ${JSON.stringify(deviceId)} is not valid for a topic.`);
    return `${this.root}/${deviceId}/${kind}`;
  }

  data(deviceId: string): string {
    return this.topicFor(deviceId, 'data');
  }

  commands(deviceId: string): string {
    return this.topicFor(deviceId, 'commands');
  }

  ack(deviceId: string): string {
    return this.topicFor(deviceId, 'ack');
  }

  status(deviceId: string): string {
    return this.topicFor(deviceId, 'status');
  }

  availability(deviceId: string): string {
    return this.topicFor(deviceId, 'availability');
  }

  /**
   * `{root}/{id}/set`: where Home Assistant (or any bridge client) asks the dashboard for a command to a
   * device. Not a kind of the device contract: no device reads or writes it, and `parse` leaves it out; the
   * dashboard validates what comes there and sends it on `{root}/{id}/commands` itself.
   */
  set(deviceId: string): string {
    if (!isValidDeviceId(deviceId))
      throw new Error(`Device id ${JSON.stringify(deviceId)} is not valid for a topic.`);
    return `${this.root}/${deviceId}/${SET_LEVEL}`;
  }

  /** Subscription filter of every device's set topic: `{root}/+/set`. */
  allSets(): string {
    return `${this.root}/+/${SET_LEVEL}`;
  }

  /** The device id of `{root}/{id}/set`; null for any other topic. */
  parseSet(topic: string): string | null {
    const parts = topic.split('/');
    if (parts.length !== this.depth + 2 || parts.slice(0, this.depth).join('/') !== this.root) return null;
    const deviceId = parts[this.depth];
    if (parts[this.depth + 1] !== SET_LEVEL || !isValidDeviceId(deviceId)) return null;
    return deviceId;
  }

  /** Subscription filter for one kind of message from every device, e.g. `devices/+/data`. */
  allDevices(kind: MessageKind): string {
    return `${this.root}/+/${kind}`;
  }

  /** Parses `{root}/{id}/{kind}`; anything else (another root, a bad id, an unknown kind) gives null. */
  parse(topic: string): ParsedTopic | null {
    const parts = topic.split('/');
    if (parts.length !== this.depth + 2 || parts.slice(0, this.depth).join('/') !== this.root) return null;
    const deviceId = parts[this.depth];
    const kind = parts[this.depth + 1];
    if (!isValidDeviceId(deviceId)) return null;
    if (!(MESSAGE_KINDS as readonly string[]).includes(kind ?? '')) return null;
    return { deviceId, kind: kind as MessageKind };
  }
}

/** The topics under the default root. */
export const topics = new Topics();

/** Parses a topic under the default root. */
export function parseTopic(topic: string): ParsedTopic | null {
  return topics.parse(topic);
}
