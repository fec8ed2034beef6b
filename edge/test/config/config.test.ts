import { resolve } from 'node:path';
import { ConfigError, describeEnvConfig } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BROKER_HOST, edgeEnvSpec, loadEdgeConfig, sanitizeDeviceId } from '../../src/config.js';

const CWD = '/srv/app';
const load = (env: NodeJS.ProcessEnv, hostname = 'pi-kitchen') => loadEdgeConfig(env, hostname, CWD);

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`Expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadEdgeConfig defaults', () => {
  it('uses the documented default of every variable', () => {
    expect(load({})).toEqual({
      deviceId: 'pi-kitchen',
      mqttBroker: 'mosquitto',
      mqttPort: null,
      mqttTls: false,
      mqttCaCert: null,
      mqttTlsServername: null,
      mqttUsername: null,
      mqttPassword: null,
      mqtt: {
        host: 'mosquitto',
        port: 1883,
        tls: false,
        caCert: null,
        servername: null,
        username: null,
        password: null,
      },
      topicRoot: 'devices',
      sensor: 'auto',
      i2cBus: 1,
      i2cAddress: 'auto',
      publishInterval: 5,
      mode: 'auto',
      alertThreshold: 30,
      alertLedGpio: null,
      firmwareVersion: 'v1.0.0',
      tempOffset: 0,
      humidityOffset: 0,
      pressureOffset: 0,
      altitude: 0,
      dataDir: resolve(CWD, '.data/edge-pi-kitchen'),
      outboxMax: 50_000,
      clockSyncSource: 'auto',
      logLevel: 'info',
      envFile: null,
    });
    expect(DEFAULT_BROKER_HOST).toBe('mosquitto');
  });

  it('treats an empty variable as unset', () => {
    const config = load({ PUBLISH_INTERVAL: '', MODE: '', DEVICE_ID: '', MQTT_PASSWORD: '' });
    expect(config.publishInterval).toBe(5);
    expect(config.mode).toBe('auto');
    expect(config.deviceId).toBe('pi-kitchen');
    expect(config.mqtt.password).toBeNull();
  });

  it('reads every variable when set', () => {
    const config = load({
      DEVICE_ID: 'greenhouse-2',
      MQTT_BROKER: '192.168.1.20',
      MQTT_PORT: '8883',
      MQTT_USERNAME: 'edge',
      MQTT_PASSWORD: ' s3cret ',
      MQTT_TLS: 'true',
      MQTT_TLS_SERVERNAME: 'mqtt.example.com',
      MQTT_TOPIC_ROOT: 'home/sensors',
      SENSOR: 'Synthetic',
      I2C_BUS: '3',
      I2C_ADDRESS: '0x77',
      PUBLISH_INTERVAL: '60',
      MODE: 'economie',
      ALERT_THRESHOLD: '27.5',
      ALERT_LED_GPIO: '17',
      FIRMWARE_VERSION: 'v2.3.4-beta.1',
      TEMP_OFFSET: '-1.5',
      HUMIDITY_OFFSET: '3.2',
      PRESSURE_OFFSET: '-0.7',
      ALTITUDE: '512',
      DATA_DIR: '/data',
      OUTBOX_MAX: '100',
      CLOCK_SYNC_SOURCE: 'Floor',
      LOG_LEVEL: 'debug',
      ENV_FILE: '/etc/fleet/edge.env',
    });
    expect(config).toEqual({
      deviceId: 'greenhouse-2',
      mqttBroker: '192.168.1.20',
      mqttPort: 8883,
      mqttTls: true,
      mqttCaCert: null,
      mqttTlsServername: 'mqtt.example.com',
      mqttUsername: 'edge',
      mqttPassword: ' s3cret ',
      mqtt: {
        host: '192.168.1.20',
        port: 8883,
        tls: true,
        caCert: null,
        servername: 'mqtt.example.com',
        username: 'edge',
        password: ' s3cret ',
      },
      topicRoot: 'home/sensors',
      sensor: 'synthetic',
      i2cBus: 3,
      i2cAddress: 0x77,
      publishInterval: 60,
      mode: 'economie',
      alertThreshold: 27.5,
      alertLedGpio: 17,
      firmwareVersion: 'v2.3.4-beta.1',
      tempOffset: -1.5,
      humidityOffset: 3.2,
      pressureOffset: -0.7,
      altitude: 512,
      dataDir: '/data',
      outboxMax: 100,
      clockSyncSource: 'floor',
      logLevel: 'debug',
      envFile: '/etc/fleet/edge.env',
    });
  });

  it('defaults MQTT_PORT to 8883 with MQTT_TLS, and takes an IPv6 broker address as it is', () => {
    expect(load({ MQTT_TLS: 'true' }).mqtt.port).toBe(8883);
    expect(load({ MQTT_TLS: 'true', MQTT_PORT: '9883' }).mqtt.port).toBe(9883);
    expect(load({ MQTT_BROKER: 'fd00::5' }).mqtt).toMatchObject({ host: 'fd00::5', port: 1883 });
  });

  it('refuses a CA certificate or a server name without MQTT_TLS, in one sentence', () => {
    expect(errorOf({ MQTT_CA_CERT: '/etc/ca.crt' }).message).toBe(
      'Environment variable MQTT_CA_CERT is set but MQTT_TLS is not true; accepted: MQTT_TLS=true with it, or MQTT_CA_CERT unset.',
    );
    expect(errorOf({ MQTT_TLS: 'false', MQTT_TLS_SERVERNAME: 'a.example' }).message).toContain(
      'MQTT_TLS_SERVERNAME is set but MQTT_TLS is not true',
    );
  });

  it('resolves a relative DATA_DIR against the working directory', () => {
    expect(load({ DATA_DIR: 'state' }).dataDir).toBe(resolve(CWD, 'state'));
  });

  it('accepts "none" for ALERT_LED_GPIO, meaning no LED', () => {
    expect(load({ ALERT_LED_GPIO: 'None' }).alertLedGpio).toBeNull();
    expect(load({ ALERT_LED_GPIO: '0' }).alertLedGpio).toBe(0);
  });
});

describe('DEVICE_ID fallback chain', () => {
  it('prefers DEVICE_ID, then BALENA_DEVICE_UUID, then the host name', () => {
    const uuid = '7c3b5e5a0d2f4c0b9f1e2d3c4b5a6978';
    expect(load({ DEVICE_ID: 'lab-1', BALENA_DEVICE_UUID: uuid }).deviceId).toBe('lab-1');
    expect(load({ BALENA_DEVICE_UUID: uuid }).deviceId).toBe(uuid);
    expect(load({}, 'raspberrypi').deviceId).toBe('raspberrypi');
  });

  it('names the default DATA_DIR after the device id in use', () => {
    expect(load({ DEVICE_ID: 'lab-1' }).dataDir).toBe(resolve(CWD, '.data/edge-lab-1'));
  });

  it('sanitizes a host name that is not a valid id', () => {
    expect(load({}, 'my host!name').deviceId).toBe('my-host-name');
    expect(load({}, '_build.local').deviceId).toBe('build.local');
    expect(load({}, 'a'.repeat(100)).deviceId).toBe('a'.repeat(64));
    expect(load({}, 'pi/room+1#').deviceId).toBe('pi-room-1-');
  });

  it('falls back to "edge-device" when nothing of the host name is usable', () => {
    expect(load({}, '').deviceId).toBe('edge-device');
    expect(sanitizeDeviceId('---')).toBeNull();
  });

  it('skips a BALENA_DEVICE_UUID that is not a valid id', () => {
    expect(load({ BALENA_DEVICE_UUID: 'bad/uuid' }, 'pi-1').deviceId).toBe('pi-1');
  });
});

describe('I2C_ADDRESS', () => {
  it.each([
    ['auto', 'auto'],
    ['AUTO', 'auto'],
    ['0x76', 0x76],
    ['0X76', 0x76],
    ['76', 0x76],
    ['0x77', 0x77],
    ['77', 0x77],
    [' 0x77 ', 0x77],
  ])('reads %j as %j', (raw, expected) => {
    expect(load({ I2C_ADDRESS: raw }).i2cAddress).toBe(expected);
  });

  it.each(['0x78', '118', '0x', 'x76'])('rejects %j', (raw) => {
    expect(errorOf({ I2C_ADDRESS: raw }).message).toBe(
      `Environment variable I2C_ADDRESS received ${JSON.stringify(raw)}; accepted: auto, 0x76 or 0x77.`,
    );
  });
});

describe('each bad variable gives its own one-sentence error', () => {
  it.each([
    [
      'DEVICE_ID',
      'bad/id',
      '1 to 64 characters: letters, digits, "_", "." or "-", starting with a letter or digit',
    ],
    [
      'MQTT_BROKER',
      'mqtt://broker:1883',
      'a host name or IP address such as mosquitto, 192.0.2.10 or fd00::5, without "mqtt://" or a port',
    ],
    [
      'MQTT_BROKER',
      'broker:1883',
      'a host name or IP address such as mosquitto, 192.0.2.10 or fd00::5, without "mqtt://" or a port',
    ],
    ['MQTT_TLS', 'yes please', 'true or false'],
    [
      'MQTT_CA_CERT',
      'not-a-certificate',
      'base64 of a PEM certificate (one line, as "npm run fleet -- device add" prints it), the PEM text itself, or the path of a PEM file',
    ],
    ['MQTT_PORT', '0', 'a port number from 1 to 65535'],
    ['MQTT_PORT', '65536', 'a port number from 1 to 65535'],
    ['MQTT_USERNAME', '   ', 'a user name that is not only spaces'],
    [
      'MQTT_TOPIC_ROOT',
      'devices/#',
      'one or more levels of letters, digits, "_", "." or "-" separated by "/", such as devices or home/sensors (no "+", "#" or "$")',
    ],
    [
      'MQTT_TOPIC_ROOT',
      '/devices',
      'one or more levels of letters, digits, "_", "." or "-" separated by "/", such as devices or home/sensors (no "+", "#" or "$")',
    ],
    [
      'MQTT_TOPIC_ROOT',
      '$SYS',
      'one or more levels of letters, digits, "_", "." or "-" separated by "/", such as devices or home/sensors (no "+", "#" or "$")',
    ],
    ['SENSOR', 'bmp999', 'one of auto, bme280, synthetic'],
    ['I2C_BUS', '32', 'a bus number from 0 to 31'],
    ['I2C_BUS', '-1', 'a bus number from 0 to 31'],
    ['PUBLISH_INTERVAL', 'abc', 'a whole number of seconds from 1 to 60'],
    ['PUBLISH_INTERVAL', '0', 'a whole number of seconds from 1 to 60'],
    ['PUBLISH_INTERVAL', '61', 'a whole number of seconds from 1 to 60'],
    ['PUBLISH_INTERVAL', '2.5', 'a whole number of seconds from 1 to 60'],
    ['MODE', 'eco', 'one of "auto", "manuel", "economie"'],
    ['ALERT_THRESHOLD', '50', 'a temperature in °C from 15.0 to 45.0'],
    ['ALERT_THRESHOLD', 'warm', 'a temperature in °C from 15.0 to 45.0'],
    ['ALERT_LED_GPIO', '28', 'a BCM pin number from 0 to 27, or "none"'],
    ['ALERT_LED_GPIO', 'GPIO17', 'a BCM pin number from 0 to 27, or "none"'],
    [
      'FIRMWARE_VERSION',
      '1.0.0',
      'a version such as "v1.1.0" (v, then three numbers separated by dots, optionally "-tag")',
    ],
    ['TEMP_OFFSET', 'hot', 'a number of °C from -20 to 20'],
    ['TEMP_OFFSET', '20.5', 'a number of °C from -20 to 20'],
    ['HUMIDITY_OFFSET', '-25', 'a number of %RH from -20 to 20'],
    ['HUMIDITY_OFFSET', '5%', 'a number of %RH from -20 to 20'],
    ['PRESSURE_OFFSET', '50.1', 'a number of hPa from -50 to 50'],
    [
      'ALTITUDE',
      '120.5',
      'a whole number of metres above sea level from -500 to 9000 (0: report the pressure measured, not reduced to sea level)',
    ],
    [
      'ALTITUDE',
      '9001',
      'a whole number of metres above sea level from -500 to 9000 (0: report the pressure measured, not reduced to sea level)',
    ],
    ['DATA_DIR', '  ', 'a directory path'],
    ['OUTBOX_MAX', '99', 'a whole number from 100 to 1000000'],
    ['OUTBOX_MAX', '1000001', 'a whole number from 100 to 1000000'],
    ['CLOCK_SYNC_SOURCE', 'ntp', 'one of auto, kernel, floor'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
  ])('%s=%j', (variable, value, accepted) => {
    const error = errorOf({ [variable]: value });
    expect(error.message).toBe(
      `Environment variable ${variable} received ${JSON.stringify(value)}; accepted: ${accepted}.`,
    );
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('gives exactly the sentence of the brief for PUBLISH_INTERVAL', () => {
    expect(errorOf({ PUBLISH_INTERVAL: 'abc' }).message).toBe(
      'Environment variable PUBLISH_INTERVAL received "abc"; accepted: a whole number of seconds from 1 to 60.',
    );
  });
});

describe('edgeEnvSpec', () => {
  it('lists every variable, for the README and the start-up log', () => {
    expect(Object.values(edgeEnvSpec).map((variable) => variable.env)).toEqual([
      'DEVICE_ID',
      'MQTT_BROKER',
      'MQTT_PORT',
      'MQTT_TLS',
      'MQTT_CA_CERT',
      'MQTT_TLS_SERVERNAME',
      'MQTT_USERNAME',
      'MQTT_PASSWORD',
      'MQTT_TOPIC_ROOT',
      'SENSOR',
      'I2C_BUS',
      'I2C_ADDRESS',
      'PUBLISH_INTERVAL',
      'MODE',
      'ALERT_THRESHOLD',
      'ALERT_LED_GPIO',
      'FIRMWARE_VERSION',
      'TEMP_OFFSET',
      'HUMIDITY_OFFSET',
      'PRESSURE_OFFSET',
      'ALTITUDE',
      'DATA_DIR',
      'OUTBOX_MAX',
      'CLOCK_SYNC_SOURCE',
      'LOG_LEVEL',
      'ENV_FILE',
    ]);
  });

  it('describes the config in use with the password masked', () => {
    const config = load({ MQTT_PASSWORD: 'hunter2', MQTT_USERNAME: 'edge' });
    const described = describeEnvConfig(edgeEnvSpec, config);
    expect(described.MQTT_PASSWORD).toBe('[set]');
    expect(described.MQTT_USERNAME).toBe('edge');
    expect(described.DEVICE_ID).toBe('pi-kitchen');
    expect(JSON.stringify(described)).not.toContain('hunter2');
  });
});
