import { loadCaCert } from './ca-cert.js';
import type { Logger } from './logger.js';
import { brokerLabel, type MqttSettings } from './mqtt-env.js';

/**
 * The transport and login part of mqtt.js's connect options, built from MqttSettings. Host and port are
 * given as options, never as a URL: a URL such as mqtt://fd00::5:1883 does not parse as an IPv6 host.
 */
export interface MqttTransportOptions {
  host: string;
  port: number;
  protocol: 'mqtt' | 'mqtts';
  /** The CA to trust instead of the system's; absent for a certificate from a public CA. */
  ca?: string;
  servername?: string;
  rejectUnauthorized?: true;
  username?: string;
  password?: string;
}

export async function mqttTransportOptions(settings: MqttSettings): Promise<MqttTransportOptions> {
  const options: MqttTransportOptions = {
    host: settings.host,
    port: settings.port,
    protocol: settings.tls ? 'mqtts' : 'mqtt',
  };
  if (settings.tls) {
    options.rejectUnauthorized = true;
    if (settings.caCert) options.ca = await loadCaCert(settings.caCert);
    if (settings.servername) options.servername = settings.servername;
  }
  if (settings.username) options.username = settings.username;
  if (settings.password) options.password = settings.password;
  return options;
}

/** Why a connection attempt failed, in one sentence, and whether the broker itself said no. */
export interface ConnectFailure {
  /** A short stable key: two failures with the same key are the same problem (logged once). */
  key: string;
  /** True when the broker answered and refused (credential, client id): retrying will not fix it by itself. */
  refused: boolean;
  sentence: string;
}

/** MQTT 3.1.1 CONNACK return codes (mqtt.js puts them in `error.code`). */
const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

const TLS_HINTS: Record<string, string> = {
  ERR_TLS_CERT_ALTNAME_INVALID:
    'its certificate is not for this name: connect with a name the certificate holds (the broker adds BROKER_HOSTNAMES to it), or set MQTT_TLS_SERVERNAME',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "its certificate is not signed by a trusted authority: set MQTT_CA_CERT to the broker's CA",
  SELF_SIGNED_CERT_IN_CHAIN:
    'its certificate is signed by an authority this client does not trust: check MQTT_CA_CERT',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed and not trusted: check MQTT_CA_CERT',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "its certificate's authority is not trusted: set MQTT_CA_CERT to the broker's CA",
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: "its certificate is not valid yet (is this machine's clock right?)",
};

/**
 * One sentence for a failed connection attempt, naming the broker and, for a refusal, the user and the
 * broker's reason. `error` is what mqtt.js emitted ('error' event).
 */
export function describeConnectFailure(
  error: Error & { code?: string | number },
  transport: Pick<MqttTransportOptions, 'host' | 'port' | 'protocol' | 'username'>,
  clientId: string,
): ConnectFailure {
  const settings = { ...transport, tls: transport.protocol === 'mqtts' };
  const broker = brokerLabel(settings);
  const code = error.code;
  if (typeof code === 'number' && CONNACK_REASONS[code]) {
    const reason = CONNACK_REASONS[code];
    const who = settings.username ? `user "${settings.username}"` : 'an anonymous client (no MQTT_USERNAME)';
    const sentence =
      code === 2
        ? `The MQTT broker ${broker} refused the client id "${clientId}" of ${who}: ${reason}.`
        : `The MQTT broker ${broker} refused ${who} with client id "${clientId}": ${reason}.`;
    return { key: `connack-${code}`, refused: true, sentence };
  }
  const hint = typeof code === 'string' ? TLS_HINTS[code] : undefined;
  if (hint) {
    return {
      key: `tls-${code}`,
      refused: false,
      sentence: `The MQTT broker ${broker} could not be trusted: ${hint} (${error.message}).`,
    };
  }
  if (
    code === 'ECONNRESET' ||
    /socket disconnected before secure TLS|wrong version number/i.test(error.message)
  ) {
    return {
      key: 'reset',
      refused: false,
      sentence: `The MQTT broker ${broker} closed the connection during the handshake (${error.message}); check that MQTT_TLS matches what this port expects.`,
    };
  }
  return {
    key: `net-${String(code ?? error.message)}`,
    refused: false,
    sentence: `The MQTT broker ${broker} is not reachable (${code ? `${code}: ` : ''}${error.message}).`,
  };
}

/**
 * Logs connection failures without flooding: the first failure of a kind at error (a refusal) or warn, the
 * same failure again at debug, a different one at its level again. `clear()` on connect.
 */
export class ConnectFailureLog {
  private lastKey: string | null = null;

  constructor(private readonly log: Logger) {}

  /** `retry`: the delay before the next attempt and the back-off's ceiling, in ms. */
  report(failure: ConnectFailure, retry: { nextMs: number; maxMs: number }, error: Error): void {
    const details = { err: error.message, code: (error as { code?: unknown }).code, retry_ms: retry.nextMs };
    if (failure.key === this.lastKey) {
      this.log.debug(details, failure.sentence);
      return;
    }
    this.lastKey = failure.key;
    const sentence = `${failure.sentence} Retrying with back-off: next in ${seconds(retry.nextMs)}, at most ${seconds(retry.maxMs)} apart.`;
    if (failure.refused) this.log.error(details, sentence);
    else this.log.warn(details, sentence);
  }

  clear(): void {
    this.lastKey = null;
  }
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/**
 * The filters a SUBACK refused (return code 0x80 and above), from the error mqtt.js rejects a subscribe with
 * when the broker refused any of them; null when the error is something else (the connection dropped).
 */
export function refusedSubscriptions(error: unknown, filters: readonly string[]): string[] | null {
  const granted = (error as { packet?: { granted?: unknown } } | null)?.packet?.granted;
  if (!Array.isArray(granted)) return null;
  return filters.filter((_filter, index) => {
    const code = granted[index];
    return typeof code === 'number' && code >= 0x80;
  });
}
