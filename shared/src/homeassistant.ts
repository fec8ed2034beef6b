import { createHash } from 'node:crypto';
import { isValidDeviceId } from './device-id.js';
import { type EnvVar, envParsers } from './env-config.js';
import { TOPIC_ROOT_PATTERN } from './topics.js';

/** Home Assistant's own default discovery prefix. */
export const DEFAULT_HA_DISCOVERY_PREFIX = 'homeassistant';

/**
 * HA_DISCOVERY_PREFIX, read by the dashboard (where it publishes discovery, where it hears Home Assistant's
 * birth message) and by the broker (the ACLs of the dashboard's and Home Assistant's credentials follow it).
 */
export const haDiscoveryPrefixVar: EnvVar<string> = {
  env: 'HA_DISCOVERY_PREFIX',
  doc: "Home Assistant's MQTT discovery prefix (its MQTT integration's option, homeassistant unless changed there): discovery goes to <prefix>/device/<id>/config and Home Assistant's birth message is read on <prefix>/status; the same on the dashboard and the broker, whose ACLs follow it.",
  default: DEFAULT_HA_DISCOVERY_PREFIX,
  accepted:
    'one or more levels of letters, digits, "_", "." or "-" separated by "/", such as homeassistant (no "+", "#" or "$")',
  parse: envParsers.matching(TOPIC_ROOT_PATTERN),
};

/** Characters Home Assistant accepts in a discovery topic's object id. */
const OBJECT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * A device's object id in its discovery topic. Home Assistant accepts only letters, digits, "_" and "-"
 * there, a device id may also hold "."; such an id has its dots made "_" and 8 hex digits of its SHA-256
 * added, so that `a.b` and `a_b` never share a topic. Every other id is itself.
 */
export function discoveryObjectId(deviceId: string): string {
  if (OBJECT_ID_PATTERN.test(deviceId)) return deviceId;
  const digest = createHash('sha256').update(deviceId).digest('hex').slice(0, 8);
  return `${deviceId.replace(/[^A-Za-z0-9_-]/g, '_')}_${digest}`;
}

/** The topics of Home Assistant's MQTT discovery under one prefix. */
export class HaTopics {
  constructor(readonly prefix: string = DEFAULT_HA_DISCOVERY_PREFIX) {
    if (!TOPIC_ROOT_PATTERN.test(prefix))
      throw new Error(`Discovery prefix ${JSON.stringify(prefix)} is not valid.`);
  }

  /** Home Assistant's birth (`online`) and last will (`offline`). */
  status(): string {
    return `${this.prefix}/status`;
  }

  /** Device-based discovery of one device: `<prefix>/device/<object id>/config`, retained. */
  deviceConfig(deviceId: string): string {
    if (!isValidDeviceId(deviceId))
      throw new Error(`Device id ${JSON.stringify(deviceId)} is not valid for a topic.`);
    return `${this.prefix}/device/${discoveryObjectId(deviceId)}/config`;
  }

  /** Subscription filter of every device's discovery. */
  allDeviceConfigs(): string {
    return `${this.prefix}/device/+/config`;
  }

  /** Everything under the prefix. */
  all(): string {
    return `${this.prefix}/#`;
  }
}
