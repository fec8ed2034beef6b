import { dashboardEnvSpec, loadDashboardConfig } from '@fleet/dashboard';
import { ConfigError, describeEnvConfig } from '@fleet/shared';
import { describe, expect, it } from 'vitest';

const cwd = '/srv/app';

describe('dashboard configuration', () => {
  it('has the documented defaults', () => {
    expect(loadDashboardConfig({}, cwd)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      mqttBroker: 'mosquitto',
      mqttPort: null,
      mqttTls: false,
      mqttCaCert: null,
      mqttTlsServername: null,
      mqttUsername: null,
      mqttPassword: null,
      mqttClientId: null,
      mqtt: {
        host: 'mosquitto',
        port: 1883,
        tls: false,
        caCert: null,
        servername: null,
        username: null,
        password: null,
      },
      dataDir: '/srv/app/.data/dashboard',
      databasePath: '/srv/app/.data/dashboard/dashboard.sqlite',
      historyDays: 30,
      logLevel: 'info',
      fleetRole: 'standalone',
      envFile: null,
    });
  });

  it('reads every variable', () => {
    const config = loadDashboardConfig(
      {
        PORT: '80',
        HOST: '127.0.0.1',
        MQTT_BROKER: 'broker.local',
        MQTT_PORT: '8883',
        MQTT_USERNAME: 'dash',
        MQTT_PASSWORD: 's3cret',
        MQTT_CLIENT_ID: 'dashboard-main',
        DATA_DIR: '/data',
        HISTORY_DAYS: '3650',
        LOG_LEVEL: 'debug',
        MQTT_TLS: 'on',
        FLEET_ROLE: 'hub',
        ENV_FILE: '/broker/dashboard.env',
      },
      cwd,
    );
    expect(config).toMatchObject({
      port: 80,
      host: '127.0.0.1',
      mqtt: { host: 'broker.local', port: 8883, tls: true, username: 'dash', password: 's3cret' },
      mqttClientId: 'dashboard-main',
      fleetRole: 'hub',
      envFile: '/broker/dashboard.env',
      databasePath: '/data/dashboard.sqlite',
      historyDays: 3650,
      logLevel: 'debug',
    });
    expect(describeEnvConfig(dashboardEnvSpec, config)).toMatchObject({ MQTT_PASSWORD: '[set]', PORT: 80 });
  });

  it.each([
    ['PORT', 'http', 'Environment variable PORT received "http"; accepted: a port number from 1 to 65535.'],
    [
      'MQTT_PORT',
      '0',
      'Environment variable MQTT_PORT received "0"; accepted: a port number from 1 to 65535.',
    ],
    [
      'HISTORY_DAYS',
      '0',
      'Environment variable HISTORY_DAYS received "0"; accepted: a whole number of days from 1 to 3650.',
    ],
    [
      'HISTORY_DAYS',
      '3651',
      'Environment variable HISTORY_DAYS received "3651"; accepted: a whole number of days from 1 to 3650.',
    ],
    [
      'LOG_LEVEL',
      'loud',
      'Environment variable LOG_LEVEL received "loud"; accepted: one of fatal, error, warn, info, debug, trace, silent.',
    ],
    [
      'FLEET_ROLE',
      'server',
      'Environment variable FLEET_ROLE received "server"; accepted: one of standalone, hub, edge.',
    ],
    [
      'MQTT_CLIENT_ID',
      'a b',
      'Environment variable MQTT_CLIENT_ID received "a b"; accepted: 1 to 128 characters: letters, digits, "_", "." or "-".',
    ],
  ])('refuses %s=%s with one sentence', (name, value, sentence) => {
    expect(() => loadDashboardConfig({ [name]: value }, cwd)).toThrow(new ConfigError(sentence));
  });
});
