import { isValidDeviceId } from './device-id.js';

export const TOPIC_ROOT = 'devices';

export const MESSAGE_KINDS = ['data', 'commands', 'ack', 'status'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Every topic of the contract is published with QoS 1. */
export const QOS = 1 as const;

function assertDeviceId(deviceId: string): void {
  if (!isValidDeviceId(deviceId)) {
    throw new Error(`Device id ${JSON.stringify(deviceId)} is not valid for a topic.`);
  }
}

export function topicFor(deviceId: string, kind: MessageKind): string {
  assertDeviceId(deviceId);
  return `${TOPIC_ROOT}/${deviceId}/${kind}`;
}

export const topics = {
  data: (deviceId: string) => topicFor(deviceId, 'data'),
  commands: (deviceId: string) => topicFor(deviceId, 'commands'),
  ack: (deviceId: string) => topicFor(deviceId, 'ack'),
  status: (deviceId: string) => topicFor(deviceId, 'status'),
  /** Subscription filter for one kind of message from every device, e.g. `devices/+/data`. */
  allDevices: (kind: MessageKind) => `${TOPIC_ROOT}/+/${kind}`,
};

export interface ParsedTopic {
  deviceId: string;
  kind: MessageKind;
}

/** Parses `devices/{id}/{kind}`; anything else (wrong root, bad id, unknown kind) gives null. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT) return null;
  const [, deviceId, kind] = parts;
  if (!isValidDeviceId(deviceId)) return null;
  if (!(MESSAGE_KINDS as readonly string[]).includes(kind ?? '')) return null;
  return { deviceId, kind: kind as MessageKind };
}
