import { DEVICE_ID_ACCEPTED, type HaTopics, isValidDeviceId, type Topics } from '@fleet/shared';

/** The service users of the production profile, whose clients each start makes from the env files. */
export const ADMIN_USER = 'fleet-admin';
export const DASHBOARD_USER = 'dashboard';
export const RESERVED_USERS: readonly string[] = [ADMIN_USER, DASHBOARD_USER];
/**
 * Home Assistant's user: its role is made at each start like the service roles, its client only by
 * `fleet homeassistant add` (and kept by every start).
 */
export const HOME_ASSISTANT_USER = 'homeassistant';
/** Names no device may take. */
export const RESERVED_NAMES: readonly string[] = [...RESERVED_USERS, HOME_ASSISTANT_USER];

export type AclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';

/** One ACL entry as the dynamic security plugin stores and accepts it (`allow` defaults to false there). */
export interface DynsecAcl {
  acltype: AclType;
  topic: string;
  priority: number;
  allow: boolean;
}

export interface DynsecRole {
  rolename: string;
  acls: DynsecAcl[];
}

const allow = (acltype: AclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });

/** Every device's data, status, availability and acks in: what the dashboard and Home Assistant read. */
const readEveryDevice = (topics: Topics): DynsecAcl[] =>
  (['data', 'status', 'availability', 'ack'] as const).map((kind) =>
    allow('subscribePattern', topics.allDevices(kind)),
  );

/**
 * What a client may do when no role says: publish nothing, receive what it may subscribe to, subscribe to
 * nothing, unsubscribe from anything (mosquitto_ctrl's `dynsec init` defaults).
 */
export const DEFAULT_ACL_ACCESS = {
  publishClientSend: false,
  publishClientReceive: true,
  subscribe: false,
  unsubscribe: true,
} as const;

/**
 * fleet-admin: the dynamic security API, and the retained `offline` availability of a device it removes.
 * The plugin's answers need publishClientReceive too: defaultACLAccess never lets a $CONTROL topic through
 * (plugins/dynamic-security/acl.c, acl_check), so without it the commands work and no answer arrives.
 */
export function adminRole(topics: Topics): DynsecRole {
  return {
    rolename: ADMIN_USER,
    acls: [
      allow('publishClientSend', '$CONTROL/dynamic-security/#'),
      allow('publishClientReceive', '$CONTROL/dynamic-security/#'),
      allow('subscribePattern', '$CONTROL/dynamic-security/#'),
      allow('publishClientSend', topics.allDevices('availability')),
    ],
  };
}

/**
 * dashboard: every device's data, status, availability and acks in; commands to any device out. For Home
 * Assistant (HA_DISCOVERY, HA_DISCOVERY_PREFIX): every device's discovery out, Home Assistant's birth
 * message and the bridge topic `{root}/+/set` in. For replicas (MQTT_SHARE_GROUP), the data and set topics
 * through a shared subscription of any group too.
 */
export function dashboardRole(topics: Topics, ha: HaTopics): DynsecRole {
  return {
    rolename: DASHBOARD_USER,
    acls: [
      ...readEveryDevice(topics),
      allow('publishClientSend', topics.allDevices('commands')),
      allow('publishClientSend', ha.allDeviceConfigs()),
      allow('subscribePattern', ha.status()),
      allow('subscribePattern', topics.allSets()),
      // Replicas (MQTT_SHARE_GROUP): Mosquitto 2.0.11's plugin checks a shared subscription's whole filter.
      allow('subscribePattern', `$share/+/${topics.allDevices('data')}`),
      allow('subscribePattern', `$share/+/${topics.allSets()}`),
    ],
  };
}

/**
 * homeassistant: what Home Assistant's MQTT integration needs and nothing more. It reads every device's
 * data, status, availability and acks and everything under the discovery prefix (the dashboard's discovery),
 * publishes its own birth and last will on `<prefix>/status`, and asks for commands on `{root}/+/set`,
 * which the dashboard validates and sends on: never `{root}/+/commands` itself.
 */
export function homeAssistantRole(topics: Topics, ha: HaTopics): DynsecRole {
  return {
    rolename: HOME_ASSISTANT_USER,
    acls: [
      ...readEveryDevice(topics),
      allow('subscribePattern', ha.all()),
      allow('publishClientSend', ha.status()),
      allow('publishClientSend', topics.allSets()),
    ],
  };
}

/** Throws one sentence when `id` cannot be a device's user name. */
export function assertDeviceId(id: string): void {
  if (!isValidDeviceId(id)) {
    throw new Error(`Device id ${JSON.stringify(id)} is not accepted; accepted: ${DEVICE_ID_ACCEPTED}.`);
  }
  if (RESERVED_NAMES.includes(id)) {
    throw new Error(`Device id "${id}" is the broker's own ${id} user; choose another id.`);
  }
}

const DEVICE_ROLE_PREFIX = 'device-';

/** The role of one device (Mosquitto 2.0.11's dynsec has no %u/%c in ACL topics): its own topics only. */
export function deviceRoleName(id: string): string {
  return `${DEVICE_ROLE_PREFIX}${id}`;
}

/** A device's role under the fleet's topic root: it publishes on its own topics and reads its own commands. */
export function deviceRole(id: string, topics: Topics): DynsecRole {
  assertDeviceId(id);
  return {
    rolename: deviceRoleName(id),
    acls: [
      allow('publishClientSend', topics.data(id)),
      allow('publishClientSend', topics.status(id)),
      allow('publishClientSend', topics.availability(id)),
      allow('publishClientSend', topics.ack(id)),
      allow('subscribeLiteral', topics.commands(id)),
    ],
  };
}

/** The device id of a device role's name, or null for another role. */
export function deviceIdOfRole(rolename: string): string | null {
  const id = rolename.startsWith(DEVICE_ROLE_PREFIX) ? rolename.slice(DEVICE_ROLE_PREFIX.length) : '';
  return isValidDeviceId(id) && !RESERVED_NAMES.includes(id) ? id : null;
}

/** The client id a device's credential is bound to: the edge's own (`edge-<id>`). */
export function deviceClientId(id: string): string {
  return `edge-${id}`;
}
