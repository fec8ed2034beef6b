import { describe, expect, it } from 'vitest';
import { isValidDeviceId, parseTopic, topics } from '../src/index.js';

describe('device ids', () => {
  it.each(['simulator-001', 'a', 'Pi_4.kitchen', '0123456789abcdef0123456789abcdef', 'x'.repeat(64)])(
    'accepts %s',
    (id) => expect(isValidDeviceId(id)).toBe(true),
  );

  it.each(['', '-lead', '.hidden', 'a/b', 'a+b', 'a#', 'with space', 'x'.repeat(65), 'é'])(
    'refuses %j, which could widen a subscription or is not an id',
    (id) => expect(isValidDeviceId(id)).toBe(false),
  );
});

describe('topics', () => {
  it('builds each topic of the contract', () => {
    expect(topics.data('dev-1')).toBe('devices/dev-1/data');
    expect(topics.commands('dev-1')).toBe('devices/dev-1/commands');
    expect(topics.ack('dev-1')).toBe('devices/dev-1/ack');
    expect(topics.status('dev-1')).toBe('devices/dev-1/status');
    expect(topics.allDevices('status')).toBe('devices/+/status');
  });

  it('refuses to build a topic from an id with a wildcard', () => {
    expect(() => topics.commands('#')).toThrow(/not valid/);
    expect(() => topics.commands('a/b')).toThrow(/not valid/);
  });

  it('parses what it builds and nothing else', () => {
    expect(parseTopic('devices/dev-1/ack')).toEqual({ deviceId: 'dev-1', kind: 'ack' });
    expect(parseTopic('devices/dev-1/other')).toBeNull();
    expect(parseTopic('things/dev-1/data')).toBeNull();
    expect(parseTopic('devices/dev-1/data/extra')).toBeNull();
    expect(parseTopic('devices/+/data')).toBeNull();
  });
});
