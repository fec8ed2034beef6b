import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../src/exit-cleanup.js';
import { defaultMosquittoConfPath, findDynsecPlugin, rewriteMosquittoConf } from '../src/index.js';

const overrides = { port: 41883, wsPort: 49001, dataDir: '/tmp/fleet-test-data' };

/** The lines that are settings, not comments or blank lines. */
async function settingsOf(profile: 'development' | 'production'): Promise<string[]> {
  const conf = await readFile(defaultMosquittoConfPath(profile), 'utf8');
  return conf.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

describe('cloud/mosquitto/development.conf', () => {
  it('is the development profile: anonymous, TCP 1883 and WebSocket 9001 on every interface, persistent', async () => {
    const settings = await settingsOf('development');
    expect(settings).toContain('listener 1883 0.0.0.0');
    expect(settings).toContain('listener 9001 0.0.0.0');
    expect(settings).toContain('protocol websockets');
    expect(settings).toContain('allow_anonymous true');
    expect(settings).toContain('persistence true');
    expect(settings).toContain('persistence_location /mosquitto/data/');
    expect(settings).toContain('log_dest stdout');
    expect(settings.some((line) => /^autosave_interval \d+$/.test(line))).toBe(true);
  });
});

describe('cloud/mosquitto/production.conf', () => {
  it('has one TLS listener on 8883, dynamic security and no anonymous access', async () => {
    const settings = await settingsOf('production');
    expect(settings.filter((line) => line.startsWith('listener '))).toEqual(['listener 8883']);
    for (const line of [
      'per_listener_settings false',
      'allow_anonymous false',
      'plugin /usr/lib/mosquitto_dynamic_security.so',
      'plugin_opt_config_file /mosquitto/data/broker/dynamic-security.json',
      'protocol mqtt',
      'certfile /mosquitto/data/secure/server.crt',
      'keyfile /mosquitto/data/secure/server.key',
      'tls_version tlsv1.2',
    ]) {
      expect(settings).toContain(line);
    }
    expect(settings.some((line) => /websockets|^listener 1883/.test(line))).toBe(false);
  });

  it('sets the production limits, persistence in broker/ and stdout logs', async () => {
    const settings = await settingsOf('production');
    for (const line of [
      'max_packet_size 65536',
      'max_connections 12000',
      'persistent_client_expiration 7d',
      'max_queued_messages 0',
      'max_queued_bytes 67108864',
      'persistence true',
      'persistence_location /mosquitto/data/broker/',
      'log_dest stdout',
    ]) {
      expect(settings).toContain(line);
    }
    // max_connections is a listener setting: it must come after the listener line.
    expect(settings.indexOf('max_connections 12000')).toBeGreaterThan(settings.indexOf('listener 8883'));
  });
});

describe('rewriteMosquittoConf', () => {
  it('changes only the listener ports and the persistence folder of development.conf', async () => {
    const original = await readFile(defaultMosquittoConfPath(), 'utf8');
    const before = original.split('\n');
    const after = rewriteMosquittoConf(original, overrides).split('\n');
    expect(after).toHaveLength(before.length);
    expect(after.filter((line, index) => line !== before[index])).toEqual([
      'listener 41883 0.0.0.0',
      'listener 49001 0.0.0.0',
      'persistence_location /tmp/fleet-test-data/',
    ]);
  });

  it('changes only the listener port, the /mosquitto/data/ paths and the plugin of production.conf', async () => {
    const original = await readFile(defaultMosquittoConfPath('production'), 'utf8');
    const before = original.split('\n');
    const rewritten = rewriteMosquittoConf(original, {
      port: 48883,
      dataDir: '/srv/fleet',
      pluginPath: '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
    });
    const after = rewritten.split('\n');
    expect(after).toHaveLength(before.length);
    expect(after.filter((line, index) => line !== before[index])).toEqual([
      'plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
      'plugin_opt_config_file /srv/fleet/broker/dynamic-security.json',
      'listener 48883',
      'certfile /srv/fleet/secure/server.crt',
      'keyfile /srv/fleet/secure/server.key',
      'persistence_location /srv/fleet/broker/',
    ]);
  });

  it('finds the WebSocket listener by its protocol line, whatever the order', () => {
    const conf = ['listener 9001', 'protocol websockets', 'listener 1883', 'allow_anonymous true'].join('\n');
    expect(rewriteMosquittoConf(conf, overrides).split('\n')).toEqual([
      'listener 49001',
      'protocol websockets',
      'listener 41883',
      'allow_anonymous true',
      'persistence_location /tmp/fleet-test-data/',
    ]);
  });

  it('refuses a WebSocket port for a configuration without a WebSocket listener, saying what it found', () => {
    expect(() => rewriteMosquittoConf('listener 1883\nallow_anonymous true\n', overrides)).toThrow(
      'The Mosquitto configuration has 1 MQTT and 0 WebSocket listeners; accepted: exactly one of each kind whose port is set.',
    );
  });
});

describe('findDynsecPlugin', () => {
  it("finds Debian's plugin in an arch-specific folder, and prefers the plain path", async () => {
    const root = await makeTempDir('fleet-plugin-');
    await mkdir(join(root, 'aarch64-linux-gnu'));
    await writeFile(join(root, 'aarch64-linux-gnu', 'mosquitto_dynamic_security.so'), '');
    expect(findDynsecPlugin([root])).toBe(join(root, 'aarch64-linux-gnu', 'mosquitto_dynamic_security.so'));
    await writeFile(join(root, 'mosquitto_dynamic_security.so'), '');
    expect(findDynsecPlugin([root])).toBe(join(root, 'mosquitto_dynamic_security.so'));
  });

  it('says in one sentence where it looked and how to install it', async () => {
    const root = await makeTempDir('fleet-plugin-');
    const sentence = `Mosquitto's dynamic security plugin (mosquitto_dynamic_security.so) is not in ${root}/, ${root}/*-linux-*/, /usr/lib64/ or /opt/homebrew/lib/; install Debian's Mosquitto, which includes it: sudo apt-get install mosquitto.`;
    expect(() => findDynsecPlugin([root])).toThrow(sentence);
  });
});
