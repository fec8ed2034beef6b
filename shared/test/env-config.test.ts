import { describe, expect, it } from 'vitest';
import { ConfigError, describeEnvConfig, envParsers, loadEnvConfig, logLevelVar } from '../src/index.js';

const spec = {
  interval: {
    env: 'PUBLISH_INTERVAL',
    doc: 'Seconds between readings.',
    default: 5,
    accepted: 'a whole number of seconds from 1 to 60',
    parse: envParsers.integer(1, 60),
  },
  password: {
    env: 'MQTT_PASSWORD',
    doc: 'Broker password.',
    default: null as string | null,
    accepted: 'any text',
    parse: envParsers.text,
    sensitive: true,
  },
  logLevel: logLevelVar,
};

describe('loadEnvConfig', () => {
  it('gives the defaults when nothing is set, and treats an empty variable as unset', () => {
    expect(loadEnvConfig(spec, {})).toEqual({ interval: 5, password: null, logLevel: 'info' });
    expect(loadEnvConfig(spec, { PUBLISH_INTERVAL: '' })).toMatchObject({ interval: 5 });
  });

  it('parses what is set', () => {
    expect(
      loadEnvConfig(spec, { PUBLISH_INTERVAL: '60', MQTT_PASSWORD: 's3cret', LOG_LEVEL: 'DEBUG' }),
    ).toEqual({
      interval: 60,
      password: 's3cret',
      logLevel: 'debug',
    });
  });

  it.each(['abc', '0', '61', '2.5', '5s'])('refuses PUBLISH_INTERVAL=%j in one sentence', (raw) => {
    expect(() => loadEnvConfig(spec, { PUBLISH_INTERVAL: raw })).toThrow(
      new ConfigError(
        `Environment variable PUBLISH_INTERVAL received ${JSON.stringify(raw)}; accepted: a whole number of seconds from 1 to 60.`,
      ),
    );
  });

  it('names the first bad variable only', () => {
    expect(() => loadEnvConfig(spec, { PUBLISH_INTERVAL: '0', LOG_LEVEL: 'loud' })).toThrow(
      /^Environment variable/,
    );
  });

  it('masks a sensitive value in the start-up description', () => {
    const values = loadEnvConfig(spec, { MQTT_PASSWORD: 's3cret' });
    expect(describeEnvConfig(spec, values)).toEqual({
      PUBLISH_INTERVAL: 5,
      MQTT_PASSWORD: '[set]',
      LOG_LEVEL: 'info',
    });
  });
});

describe('envParsers', () => {
  it('reads numbers within bounds', () => {
    expect(envParsers.number(-20, 20)('-1.5')).toBe(-1.5);
    expect(envParsers.number(-20, 20)('21')).toBeUndefined();
    expect(envParsers.number(-20, 20)('1e1')).toBeUndefined();
  });

  it('reads booleans in their usual spellings', () => {
    expect(envParsers.boolean('TRUE')).toBe(true);
    expect(envParsers.boolean('0')).toBe(false);
    expect(envParsers.boolean('maybe')).toBeUndefined();
  });
});
