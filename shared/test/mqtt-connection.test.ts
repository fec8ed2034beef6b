import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCaCert } from '../src/ca-cert.js';
import { loadEnvConfig } from '../src/env-config.js';
import { createLogger } from '../src/logger.js';
import { ConnectFailureLog, describeConnectFailure, mqttTransportOptions } from '../src/mqtt-connection.js';
import { brokerLabel, mqttEnvSpec, mqttSettings } from '../src/mqtt-env.js';

const fixture = fileURLToPath(new URL('./fixtures/test-ca.crt', import.meta.url));
const settingsOf = (env: NodeJS.ProcessEnv) => mqttSettings(loadEnvConfig(mqttEnvSpec, env));

describe('mqttTransportOptions', () => {
  it('gives host and port as options, so an IPv6 address is not mistaken for a URL', async () => {
    expect(await mqttTransportOptions(settingsOf({ MQTT_BROKER: 'fd00::5' }))).toEqual({
      host: 'fd00::5',
      port: 1883,
      protocol: 'mqtt',
    });
    expect(brokerLabel(settingsOf({ MQTT_BROKER: 'fd00::5', MQTT_TLS: 'true' }))).toBe(
      'mqtts://[fd00::5]:8883',
    );
  });

  it('with TLS: verifies the server, with the CA of MQTT_CA_CERT and the name of MQTT_TLS_SERVERNAME', async () => {
    const options = await mqttTransportOptions(
      settingsOf({
        MQTT_BROKER: 'mosquitto',
        MQTT_TLS: 'true',
        MQTT_CA_CERT: fixture,
        MQTT_TLS_SERVERNAME: 'mqtt.example.com',
        MQTT_USERNAME: 'lab-7',
        MQTT_PASSWORD: 'pw',
      }),
    );
    expect(options).toEqual({
      host: 'mosquitto',
      port: 8883,
      protocol: 'mqtts',
      rejectUnauthorized: true,
      ca: readFileSync(fixture, 'utf8'),
      servername: 'mqtt.example.com',
      username: 'lab-7',
      password: 'pw',
    });
    // Without MQTT_CA_CERT the system's authorities are trusted (a certificate of a public CA).
    expect((await mqttTransportOptions(settingsOf({ MQTT_TLS: 'true' }))).ca).toBeUndefined();
  });

  it('fails with one sentence when the CA file cannot be read', async () => {
    const settings = {
      ...settingsOf({ MQTT_TLS: 'true' }),
      caCert: parseCaCert('/nonexistent/ca.crt') ?? null,
    };
    await expect(mqttTransportOptions(settings)).rejects.toThrow(
      'MQTT_CA_CERT names the file /nonexistent/ca.crt, which cannot be read (ENOENT).',
    );
  });
});

describe('describeConnectFailure', () => {
  const transport = { host: 'mqtt.example.com', port: 8883, protocol: 'mqtts' as const, username: 'lab-7' };
  const failure = (code: string | number, message = 'x') =>
    describeConnectFailure(Object.assign(new Error(message), { code }), transport, 'edge-lab-7');

  it('names the user and the broker reason of a refused CONNECT', () => {
    expect(failure(5, 'Connection refused: Not authorized')).toEqual({
      key: 'connack-5',
      refused: true,
      sentence:
        'The MQTT broker mqtts://mqtt.example.com:8883 refused user "lab-7" with client id "edge-lab-7": not authorized.',
    });
    expect(failure(4).sentence).toContain(
      'refused user "lab-7" with client id "edge-lab-7": bad user name or password.',
    );
    const anonymous = describeConnectFailure(
      Object.assign(new Error('x'), { code: 5 }),
      { ...transport, username: undefined },
      'c',
    );
    expect(anonymous.sentence).toContain('refused an anonymous client (no MQTT_USERNAME)');
  });

  it('explains certificate problems and plain unreachability', () => {
    expect(failure('ERR_TLS_CERT_ALTNAME_INVALID').sentence).toContain('BROKER_HOSTNAMES');
    expect(failure('SELF_SIGNED_CERT_IN_CHAIN').sentence).toContain('MQTT_CA_CERT');
    expect(failure('ECONNREFUSED', 'connect ECONNREFUSED').sentence).toBe(
      'The MQTT broker mqtts://mqtt.example.com:8883 is not reachable (ECONNREFUSED: connect ECONNREFUSED).',
    );
    expect(failure('ECONNREFUSED').refused).toBe(false);
  });
});

describe('ConnectFailureLog', () => {
  it('logs a failure once at its level, repeats at debug, and again after a connect', () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = createLogger('test', 'debug');
    const spy = logger.child({});
    for (const level of ['error', 'warn', 'debug'] as const) {
      spy[level] = ((_details: unknown, msg: string) => {
        lines.push({ level: { error: 50, warn: 40, debug: 20 }[level], msg });
      }) as never;
    }
    const log = new ConnectFailureLog(spy);
    const refused = { key: 'connack-5', refused: true, sentence: 'refused.' };
    const unreachable = { key: 'net-ECONNREFUSED', refused: false, sentence: 'unreachable.' };
    const retry = { nextMs: 4_000, maxMs: 30_000 };
    log.report(refused, retry, new Error('e'));
    log.report(refused, retry, new Error('e'));
    log.report(unreachable, retry, new Error('e'));
    log.clear();
    log.report(unreachable, retry, new Error('e'));
    expect(lines).toEqual([
      { level: 50, msg: 'refused. Retrying with back-off: next in 4 s, at most 30 s apart.' },
      { level: 20, msg: 'refused.' },
      { level: 40, msg: 'unreachable. Retrying with back-off: next in 4 s, at most 30 s apart.' },
      { level: 40, msg: 'unreachable. Retrying with back-off: next in 4 s, at most 30 s apart.' },
    ]);
  });
});
