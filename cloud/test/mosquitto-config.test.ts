import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultMosquittoConfPath, rewriteMosquittoConf } from '../src/index.js';

const overrides = { port: 41883, wsPort: 49001, dataDir: '/tmp/fleet-test-data' };

describe('cloud/mosquitto.conf', () => {
  it('is the development profile: anonymous, TCP 1883 and WebSocket 9001 on every interface, persistent', async () => {
    const conf = await readFile(defaultMosquittoConfPath(), 'utf8');
    const settings = conf.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
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

describe('rewriteMosquittoConf', () => {
  it('changes only the listener ports and the persistence folder of the shipped file', async () => {
    const original = await readFile(defaultMosquittoConfPath(), 'utf8');
    const rewritten = rewriteMosquittoConf(original, overrides);
    const before = original.split('\n');
    const after = rewritten.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.filter((line, index) => line !== before[index]);
    expect(changed).toEqual([
      'listener 41883 0.0.0.0',
      'listener 49001 0.0.0.0',
      'persistence_location /tmp/fleet-test-data/',
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

  it('refuses a configuration without a WebSocket listener, saying what it found', () => {
    expect(() => rewriteMosquittoConf('listener 1883\nallow_anonymous true\n', overrides)).toThrow(
      'The Mosquitto configuration has 1 MQTT and 0 WebSocket listeners; accepted: exactly one of each.',
    );
  });
});
