import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLauncherArgs, USAGE } from '../../cloud/src/local/args.js';
import { formatBanner } from '../../cloud/src/local/banner.js';
import { simulatedDeviceIds, withoutMqttVariables } from '../../cloud/src/local/fleet.js';
import { choosePort, LaunchError } from '../../cloud/src/local/ports.js';

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = parseLauncherArgs(argv, env);
  if (result.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

function error(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = parseLauncherArgs(argv, env);
  if (result.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('launcher arguments', () => {
  it('defaults to two devices, an embedded broker and default ports that may move', () => {
    expect(run([])).toEqual({
      devices: 2,
      httpPort: { port: 8080, explicit: false },
      mqttPort: { port: 1883, explicit: false },
      wsPort: { port: 9001, explicit: false },
      secure: false,
      brokerHostnames: [],
      topicRoot: 'devices',
      haDiscoveryPrefix: 'homeassistant',
      host: '127.0.0.1',
      dataDir: '.data',
      externalBroker: null,
      logLevel: 'info',
    });
  });

  it('takes the device count, ports, host and data folder from options', () => {
    const options = run([
      '--devices',
      '5',
      '--port',
      '3000',
      '--mqtt-port=1884',
      '--ws-port',
      '9002',
      '--host',
      '0.0.0.0',
      '--data-dir',
      '/tmp/fleet',
    ]);
    expect(options.devices).toBe(5);
    expect(options.httpPort).toEqual({ port: 3000, explicit: true });
    expect(options.mqttPort).toEqual({ port: 1884, explicit: true });
    expect(options.wsPort).toEqual({ port: 9002, explicit: true });
    expect(options.host).toBe('0.0.0.0');
    expect(options.dataDir).toBe('/tmp/fleet');
  });

  it('uses the broker named by MQTT_BROKER, on MQTT_PORT, and PORT for the dashboard', () => {
    const options = run([], {
      MQTT_BROKER: 'broker.lan',
      MQTT_PORT: '1999',
      PORT: '8181',
      LOG_LEVEL: 'debug',
    });
    expect(options.externalBroker).toEqual({ host: 'broker.lan', port: 1999 });
    expect(options.httpPort).toEqual({ port: 8181, explicit: true });
    expect(options.logLevel).toBe('debug');
    expect(run([], { MQTT_BROKER: '  ' }).externalBroker).toBeNull();
  });

  it('takes --secure: the production broker on 8883 by default, or the port given', () => {
    const options = run(['--secure', '--devices', '3']);
    expect(options.secure).toBe(true);
    expect(options.mqttPort).toEqual({ port: 8883, explicit: false });
    expect(options.externalBroker).toBeNull();
    expect(run(['--secure', '--mqtt-port', '18883']).mqttPort).toEqual({ port: 18883, explicit: true });
    expect(run(['--secure'], { MQTT_PORT: '18884' }).mqttPort).toEqual({ port: 18884, explicit: true });
    expect(run(['--secure'], { MQTT_BROKER: ' ' }).secure).toBe(true);
  });

  it('takes BROKER_HOSTNAMES with --secure, for devices on other machines, and names a bad entry', () => {
    expect(run(['--secure'], { BROKER_HOSTNAMES: '192.168.1.20, pi.lan' }).brokerHostnames).toEqual([
      '192.168.1.20',
      'pi.lan',
    ]);
    expect(run([], { BROKER_HOSTNAMES: 'not a name' }).brokerHostnames).toEqual([]);
    expect(error(['--secure'], { BROKER_HOSTNAMES: 'pi.lan,mqtts://x' })).toContain(
      'Environment variable BROKER_HOSTNAMES received "pi.lan,mqtts://x", whose entry "mqtts://x" is neither a host name nor an IP address',
    );
  });

  it('takes HA_DISCOVERY_PREFIX for the secure broker, and names a bad one in one sentence', () => {
    expect(run(['--secure'], { HA_DISCOVERY_PREFIX: 'ha/fleet' }).haDiscoveryPrefix).toBe('ha/fleet');
    expect(error([], { HA_DISCOVERY_PREFIX: 'ha/#' })).toMatch(
      /^Environment variable HA_DISCOVERY_PREFIX received "ha\/#"; accepted: one or more levels/,
    );
  });

  it('takes MQTT_TOPIC_ROOT for the secure broker, and names a bad one in one sentence before anything starts', () => {
    expect(run(['--secure'], { MQTT_TOPIC_ROOT: 'home/sensors' }).topicRoot).toBe('home/sensors');
    expect(error([], { MQTT_TOPIC_ROOT: 'home/#' })).toMatch(
      /^Environment variable MQTT_TOPIC_ROOT received "home\/#"; accepted: one or more levels of letters/,
    );
  });

  it('refuses MQTT_BROKER and --ws-port with --secure, in one sentence', () => {
    expect(error(['--secure'], { MQTT_BROKER: 'broker.lan' })).toBe(
      'Environment variable MQTT_BROKER received "broker.lan"; accepted: unset with --secure, which runs its own broker.',
    );
    expect(error(['--secure', '--ws-port', '9002'])).toBe(
      'Option --ws-port is not accepted with --secure; the production broker has no WebSocket listener.',
    );
  });

  it('lists --secure in the usage', () => {
    expect(USAGE).toMatch(/^ {2}--secure {8}the production profile/m);
    expect(USAGE).toContain('8883 with --secure');
    expect(USAGE.split('\n').every((line) => line.length <= 105)).toBe(true);
  });

  it('refuses a bad value in one sentence naming the option, the value and what is accepted', () => {
    expect(error(['--devices', 'abc'])).toBe(
      'Option --devices received "abc"; accepted: a whole number from 1 to 100.',
    );
    expect(error(['--devices', '0'])).toBe(
      'Option --devices received "0"; accepted: a whole number from 1 to 100.',
    );
    expect(error(['--devices', '2.5'])).toBe(
      'Option --devices received "2.5"; accepted: a whole number from 1 to 100.',
    );
    expect(error(['--port', '70000'])).toBe(
      'Option --port received "70000"; accepted: a port number from 1 to 65535.',
    );
    expect(error([], { MQTT_PORT: 'x' })).toBe(
      'Environment variable MQTT_PORT received "x"; accepted: a port number from 1 to 65535.',
    );
    expect(error([], { LOG_LEVEL: 'loud' })).toBe(
      'Environment variable LOG_LEVEL received "loud"; accepted: one of fatal, error, warn, info, debug, trace, silent.',
    );
  });

  it('refuses unknown options, positional arguments and a missing value', () => {
    expect(error(['--device', '3'])).toBe(
      'Option --device is not accepted; accepted options: --devices, --port, --mqtt-port, --ws-port, --host, --data-dir, --secure, --help.',
    );
    expect(error(['3'])).toBe('Argument "3" is not accepted; accepted: options only (see --help).');
    expect(error(['--devices'])).toBe(
      'Option --devices received nothing; accepted: a value after it (see --help).',
    );
  });

  it('answers --help with the usage', () => {
    expect(parseLauncherArgs(['--help'], {})).toEqual({ kind: 'help' });
  });
});

describe('launcher helpers', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function occupy(): Promise<number> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return address.port;
  }

  it('names simulated devices sim-001, sim-002, …', () => {
    expect(simulatedDeviceIds(3)).toEqual(['sim-001', 'sim-002', 'sim-003']);
    expect(simulatedDeviceIds(12).at(-1)).toBe('sim-012');
  });

  it('moves a taken default port to a free one, and refuses a taken explicit port', async () => {
    const taken = await occupy();
    const moved = await choosePort({ port: taken, explicit: false }, '127.0.0.1', 'the dashboard');
    expect(moved).not.toBe(taken);
    const avoided = await choosePort(
      { port: moved, explicit: false },
      '127.0.0.1',
      'the dashboard',
      new Set([moved]),
    );
    expect(avoided).not.toBe(moved);
    await expect(choosePort({ port: taken, explicit: true }, '127.0.0.1', 'the dashboard')).rejects.toThrow(
      new LaunchError(
        `Port ${taken} on 127.0.0.1 is already in use, so the dashboard cannot listen there; choose another port.`,
      ),
    );
  });

  it('keeps the MQTT_* variables of the shell from the children in secure mode', () => {
    expect(
      withoutMqttVariables({ MQTT_BROKER: 'x', MQTT_PASSWORD: 'p', PUBLISH_INTERVAL: '2', PATH: '/bin' }),
    ).toEqual({ PUBLISH_INTERVAL: '2', PATH: '/bin' });
  });

  it('prints where to look, that the development broker is anonymous, and which default ports moved', () => {
    const banner = formatBanner({
      dashboardUrl: 'http://localhost:8081',
      login:
        'Login        none: the dashboard listens on this machine only (127.0.0.1); --secure turns logins on',
      broker: { kind: 'embedded', url: 'mqtt://localhost:1883', wsUrl: 'ws://localhost:9001' },
      deviceIds: ['sim-001', 'sim-002'],
      dataDir: '/work/.data',
      notes: ['Port 8080 was taken: the dashboard uses 8081.'],
    });
    expect(banner).toContain('Dashboard    http://localhost:8081\n  Login        none: the dashboard');
    expect(banner).toContain('MQTT broker  mqtt://localhost:1883 and ws://localhost:9001 (embedded)');
    expect(banner).toContain(
      '  Profile      development: anonymous clients, no TLS, so for a trusted network only (--secure: production)\n',
    );
    expect(banner).toContain('Devices      sim-001, sim-002');
    expect(banner).toContain('Port 8080 was taken: the dashboard uses 8081.');
    expect(banner).toContain('Ctrl-C stops everything.');
  });

  it('says nothing of the profile of a broker given by MQTT_BROKER', () => {
    const banner = formatBanner({
      dashboardUrl: 'http://localhost:8080',
      login: 'Login        none',
      broker: { kind: 'external', url: 'mqtt://broker.lan:1883' },
      deviceIds: ['sim-001'],
      dataDir: '/work/.data',
      notes: [],
    });
    expect(banner).toContain('MQTT broker  mqtt://broker.lan:1883 (MQTT_BROKER)');
    expect(banner).not.toContain('Profile');
  });

  it('prints the production broker, its CA, the env files and how to add a device in secure mode', () => {
    const banner = formatBanner({
      dashboardUrl: 'http://localhost:8080',
      login: 'Login        admin, password in /work/.data/secure/admin.env',
      broker: {
        kind: 'secure',
        url: 'mqtts://localhost:8883',
        caCertPath: '/work/.data/secure/ca.crt',
        devicesDir: '/work/.data/secure/devices',
        dataDir: '/work/.data',
      },
      deviceIds: ['sim-001', 'sim-002', 'sim-003'],
      dataDir: '/work/.data',
      notes: [],
    });
    expect(banner.split('\n').slice(2, 10)).toEqual([
      '  Dashboard    http://localhost:8080',
      '  Login        admin, password in /work/.data/secure/admin.env',
      '  MQTT broker  mqtts://localhost:8883 (Mosquitto, production profile: TLS, a credential per device)',
      '  CA           /work/.data/secure/ca.crt',
      '  Env files    /work/.data/secure/devices/<id>.env, one per device (the lines device add prints)',
      '  New device   npm run fleet -- --data-dir /work/.data device add <id>',
      '  Devices      sim-001, sim-002, sim-003 (synthetic sensors, each with its own credential)',
      '  Data         /work/.data',
    ]);
    expect(banner).not.toContain('anonymous');
  });
});
