import { dashboardEnvSpec, loadDashboardConfig } from '@fleet/dashboard';
import { ConfigError, describeEnvConfig } from '@fleet/shared';
import { describe, expect, it } from 'vitest';

const machine = { cwd: '/srv/app', hostname: 'pi-host' };

describe('dashboard configuration', () => {
  it('has the documented defaults', () => {
    expect(loadDashboardConfig({}, machine)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      mqttBroker: 'mosquitto',
      mqttPort: 1883,
      mqttUsername: null,
      mqttPassword: null,
      mqttClientId: 'dashboard-pi-host',
      dataDir: '/srv/app/.data/dashboard',
      databasePath: '/srv/app/.data/dashboard/dashboard.sqlite',
      historyDays: 30,
      logLevel: 'info',
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
      },
      machine,
    );
    expect(config).toMatchObject({
      port: 80,
      host: '127.0.0.1',
      mqttBroker: 'broker.local',
      mqttPort: 8883,
      mqttUsername: 'dash',
      mqttPassword: 's3cret',
      mqttClientId: 'dashboard-main',
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
      'MQTT_CLIENT_ID',
      'a b',
      'Environment variable MQTT_CLIENT_ID received "a b"; accepted: 1 to 128 characters: letters, digits, "_", "." or "-".',
    ],
  ])('refuses %s=%s with one sentence', (name, value, sentence) => {
    expect(() => loadDashboardConfig({ [name]: value }, machine)).toThrow(new ConfigError(sentence));
  });

  it('makes a client id from any host name', () => {
    expect(loadDashboardConfig({}, { cwd: '/', hostname: 'my host#1' }).mqttClientId).toBe(
      'dashboard-my-host-1',
    );
  });
});
