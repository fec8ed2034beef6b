import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvFileError, environmentWithFile, formatEnvFile, parseEnvFile } from '../src/env-file.js';

describe('env files', () => {
  it('reads NAME=value lines, skipping comments and blank lines, with values kept whole', () => {
    const text = '# lab-7\n\nMQTT_BROKER=mqtt.example.com\r\nMQTT_PASSWORD=a=b==\n  DEVICE_ID = lab-7  \n';
    expect(parseEnvFile(text, 'lab-7.env')).toEqual({
      MQTT_BROKER: 'mqtt.example.com',
      MQTT_PASSWORD: 'a=b==',
      DEVICE_ID: 'lab-7',
    });
  });

  it('names the file and the line of a line that is not NAME=value, showing only its start', () => {
    expect(() => parseEnvFile('A=1\nexport MQTT_PASSWORD=hunter2-secret\n', '/broker/dashboard.env')).toThrow(
      new EnvFileError(
        'Line 2 of /broker/dashboard.env received "export MQTT_…"; accepted: NAME=value, a comment starting with "#", or an empty line.',
      ),
    );
    expect(() => parseEnvFile('=1', 'x.env')).toThrow(EnvFileError);
  });

  it('writes what it reads back, and refuses a value that would break the line', () => {
    const variables = { MQTT_BROKER: 'fd00::5', MQTT_PORT: '8883', MQTT_PASSWORD: 'p+/=x' };
    const text = formatEnvFile(variables, ['for lab-7']);
    expect(text).toBe('# for lab-7\nMQTT_BROKER=fd00::5\nMQTT_PORT=8883\nMQTT_PASSWORD=p+/=x\n');
    expect(parseEnvFile(text, 'x')).toEqual(variables);
    expect(() => formatEnvFile({ A: 'two\nlines' })).toThrow(EnvFileError);
  });
});

describe('environmentWithFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'env-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the environment as it is without ENV_FILE', async () => {
    const env = { MQTT_BROKER: 'a' };
    expect(await environmentWithFile(env, { onWaiting: () => undefined })).toBe(env);
  });

  it('puts the file under the environment: a variable set in the environment wins, an empty one does not', async () => {
    const path = join(dir, 'dashboard.env');
    await writeFile(path, 'MQTT_BROKER=mosquitto\nMQTT_PORT=8883\nMQTT_USERNAME=dashboard\n');
    const env = await environmentWithFile(
      { ENV_FILE: path, MQTT_BROKER: '192.0.2.10', MQTT_USERNAME: '' },
      { onWaiting: () => undefined },
    );
    expect(env).toMatchObject({ MQTT_BROKER: '192.0.2.10', MQTT_PORT: '8883', MQTT_USERNAME: 'dashboard' });
  });

  it('waits for a file that does not exist yet, saying so once', async () => {
    const path = join(dir, 'late.env');
    const waits: string[] = [];
    const result = environmentWithFile({ ENV_FILE: path }, { onWaiting: (p) => waits.push(p), pollMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(waits).toEqual([path]);
    await writeFile(path, 'MQTT_TLS=true\n');
    expect(await result).toMatchObject({ MQTT_TLS: 'true' });
  });

  it('stops with one sentence on a file it cannot read as NAME=value lines', async () => {
    const path = join(dir, 'bad.env');
    await writeFile(path, 'this is not an env file\n');
    await expect(environmentWithFile({ ENV_FILE: path }, { onWaiting: () => undefined })).rejects.toThrow(
      `Line 1 of ${path} received`,
    );
    await expect(environmentWithFile({ ENV_FILE: dir }, { onWaiting: () => undefined })).rejects.toThrow(
      `ENV_FILE names ${dir}, which cannot be read (EISDIR).`,
    );
  });
});
