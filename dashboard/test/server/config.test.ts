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
      topicRoot: 'devices',
      mqttClientId: null,
      mqttShareGroup: null,
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
      databaseUrl: null,
      databasePath: '/srv/app/.data/dashboard/dashboard.sqlite',
      historyDays: 30,
      rollupDays: 365,
      maxDevices: 20_000,
      eventStreamMaxClients: 2000,
      logLevel: 'info',
      fleetRole: 'standalone',
      envFile: null,
      auth: 'auto',
      adminUser: 'admin',
      adminPassword: null,
      sessionHours: 12,
      allowedHosts: [],
      corsOrigins: [],
      httpsCert: null,
      httpsKey: null,
      https: null,
      trustProxy: false,
      haDiscovery: 'off',
      haDiscoveryPrefix: 'homeassistant',
      haLatestFirmware: null,
    });
  });

  it('reads the Home Assistant variables', () => {
    expect(
      loadDashboardConfig(
        { HA_DISCOVERY: 'ON', HA_DISCOVERY_PREFIX: 'ha/fleet', HA_LATEST_FIRMWARE: 'v1.2.0-rc.1' },
        cwd,
      ),
    ).toMatchObject({ haDiscovery: 'on', haDiscoveryPrefix: 'ha/fleet', haLatestFirmware: 'v1.2.0-rc.1' });
  });

  it('reads the access variables', () => {
    const config = loadDashboardConfig(
      {
        AUTH: 'ON',
        DASHBOARD_ADMIN_USER: 'root-admin',
        DASHBOARD_ADMIN_PASSWORD: 'a long admin password',
        SESSION_HOURS: '720',
        ALLOWED_HOSTS: 'Dashboard.Example.com, *.lan',
        CORS_ORIGINS: 'https://grafana.example.com/,http://localhost:3000',
        TRUST_PROXY: '10.0.0.0/8, 172.17.0.1',
      },
      cwd,
    );
    expect(config).toMatchObject({
      auth: 'on',
      adminUser: 'root-admin',
      adminPassword: 'a long admin password',
      sessionHours: 720,
      allowedHosts: ['dashboard.example.com', '*.lan'],
      corsOrigins: ['https://grafana.example.com', 'http://localhost:3000'],
      trustProxy: ['10.0.0.0/8', '172.17.0.1'],
    });
    expect(describeEnvConfig(dashboardEnvSpec, config)).toMatchObject({
      DASHBOARD_ADMIN_PASSWORD: '[set]',
      TRUST_PROXY: 'proxies at 10.0.0.0/8, 172.17.0.1 trusted',
    });
    expect(loadDashboardConfig({ TRUST_PROXY: 'true' }, cwd).trustProxy).toBe(true);
    expect(loadDashboardConfig({ TRUST_PROXY: '2' }, cwd).trustProxy).toBe(2);
    expect(loadDashboardConfig({ TRUST_PROXY: 'loopback' }, cwd).trustProxy).toEqual(['loopback']);
    expect(loadDashboardConfig({ ALLOWED_HOSTS: '*' }, cwd).allowedHosts).toEqual(['*']);
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
        MQTT_SHARE_GROUP: 'dashboards',
        DATA_DIR: '/data',
        HISTORY_DAYS: '3650',
        LOG_LEVEL: 'debug',
        MQTT_TLS: 'on',
        FLEET_ROLE: 'hub',
        ENV_FILE: '/broker/dashboard.env',
        MQTT_TOPIC_ROOT: 'home/sensors',
      },
      cwd,
    );
    expect(config).toMatchObject({
      port: 80,
      topicRoot: 'home/sensors',
      host: '127.0.0.1',
      mqtt: { host: 'broker.local', port: 8883, tls: true, username: 'dash', password: 's3cret' },
      mqttClientId: 'dashboard-main',
      mqttShareGroup: 'dashboards',
      fleetRole: 'hub',
      envFile: '/broker/dashboard.env',
      databasePath: '/data/dashboard.sqlite',
      historyDays: 3650,
      // Unset, ROLLUP_DAYS follows a HISTORY_DAYS above its default.
      rollupDays: 3650,
      logLevel: 'debug',
    });
    expect(describeEnvConfig(dashboardEnvSpec, config)).toMatchObject({ MQTT_PASSWORD: '[set]', PORT: 80 });
  });

  it.each([
    ['PORT', 'http', 'Environment variable PORT received "http"; accepted: a port number from 1 to 65535.'],
    ['HA_DISCOVERY', 'yes', 'Environment variable HA_DISCOVERY received "yes"; accepted: on or off.'],
    [
      'MQTT_SHARE_GROUP',
      'a/b',
      'Environment variable MQTT_SHARE_GROUP received "a/b"; accepted: 1 to 64 letters, digits, "_", "." or "-".',
    ],
    [
      'HA_DISCOVERY_PREFIX',
      'homeassistant/#',
      'Environment variable HA_DISCOVERY_PREFIX received "homeassistant/#"; accepted: one or more levels of letters, digits, "_", "." or "-" separated by "/", such as homeassistant (no "+", "#" or "$").',
    ],
    [
      'HA_LATEST_FIRMWARE',
      '1.2.0',
      'Environment variable HA_LATEST_FIRMWARE received "1.2.0"; accepted: a firmware version such as v1.2.0 or v1.2.0-beta.1.',
    ],
    [
      'MQTT_TOPIC_ROOT',
      'devices/+',
      'Environment variable MQTT_TOPIC_ROOT received "devices/+"; accepted: one or more levels of letters, digits, "_", "." or "-" separated by "/", such as devices or home/sensors (no "+", "#" or "$").',
    ],
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
      'ROLLUP_DAYS',
      '0',
      'Environment variable ROLLUP_DAYS received "0"; accepted: a whole number of days from 1 to 3650, at least HISTORY_DAYS.',
    ],
    [
      'ROLLUP_DAYS',
      '29',
      'Environment variable ROLLUP_DAYS received "29"; accepted: a whole number of days from 1 to 3650, at least HISTORY_DAYS (30).',
    ],
    [
      'MAX_DEVICES',
      '0',
      'Environment variable MAX_DEVICES received "0"; accepted: a whole number from 1 to 1000000.',
    ],
    [
      'EVENT_STREAM_MAX_CLIENTS',
      '100001',
      'Environment variable EVENT_STREAM_MAX_CLIENTS received "100001"; accepted: a whole number from 1 to 100000.',
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
    ['AUTH', 'maybe', 'Environment variable AUTH received "maybe"; accepted: one of auto, on, off.'],
    [
      'DASHBOARD_ADMIN_USER',
      'the boss',
      'Environment variable DASHBOARD_ADMIN_USER received "the boss"; accepted: 1 to 64 characters: letters, digits, "_", ".", "@" or "-", starting with a letter or digit.',
    ],
    [
      'DASHBOARD_ADMIN_PASSWORD',
      'short',
      'Environment variable DASHBOARD_ADMIN_PASSWORD received a value; accepted: 10 to 200 characters.',
    ],
    [
      'SESSION_HOURS',
      '721',
      'Environment variable SESSION_HOURS received "721"; accepted: a whole number of hours from 1 to 720.',
    ],
    [
      'ALLOWED_HOSTS',
      'http://dashboard.example.com',
      'Environment variable ALLOWED_HOSTS received "http://dashboard.example.com"; accepted: host names separated by commas, such as dashboard.example.com or *.example.com (its subdomains), or * for any host.',
    ],
    [
      'CORS_ORIGINS',
      'https://grafana.example.com/dashboards',
      'Environment variable CORS_ORIGINS received "https://grafana.example.com/dashboards"; accepted: origins separated by commas, such as https://grafana.example.com or http://localhost:3000 (scheme, host and port; no path).',
    ],
    [
      'TRUST_PROXY',
      'the proxy',
      'Environment variable TRUST_PROXY received "the proxy"; accepted: true, false, a number of proxy hops from 1 to 10, or the proxies\' addresses and ranges separated by commas, such as 10.0.0.0/8,172.17.0.1 (or loopback, linklocal, uniquelocal).',
    ],
    [
      'TRUST_PROXY',
      '10.0.0.0/33',
      'Environment variable TRUST_PROXY received "10.0.0.0/33"; accepted: true, false, a number of proxy hops from 1 to 10, or the proxies\' addresses and ranges separated by commas, such as 10.0.0.0/8,172.17.0.1 (or loopback, linklocal, uniquelocal).',
    ],
    [
      'HTTPS_CERT',
      '/srv/cert.pem',
      'Environment variable HTTPS_KEY received nothing while HTTPS_CERT is set; accepted: both HTTPS_CERT and HTTPS_KEY (a certificate and its private key, PEM files), or neither.',
    ],
    [
      'HTTPS_KEY',
      '/srv/key.pem',
      'Environment variable HTTPS_CERT received nothing while HTTPS_KEY is set; accepted: both HTTPS_CERT and HTTPS_KEY (a certificate and its private key, PEM files), or neither.',
    ],
  ])('refuses %s=%s with one sentence', (name, value, sentence) => {
    expect(() => loadDashboardConfig({ [name]: value }, cwd)).toThrow(new ConfigError(sentence));
  });
});
