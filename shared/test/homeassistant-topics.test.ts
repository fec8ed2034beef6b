import { describe, expect, it } from 'vitest';
import { discoveryObjectId, HaTopics, haDiscoveryPrefixVar, loadEnvConfig, Topics } from '../src/index.js';

describe('the bridge topic {root}/{id}/set', () => {
  const topics = new Topics('home/sensors');

  it('is built and parsed under the root', () => {
    expect(topics.set('pi-1')).toBe('home/sensors/pi-1/set');
    expect(topics.allSets()).toBe('home/sensors/+/set');
    expect(topics.parseSet('home/sensors/pi-1/set')).toBe('pi-1');
  });

  it('is not a kind of the device contract, and no contract topic is a set topic', () => {
    expect(topics.parse('home/sensors/pi-1/set')).toBeNull();
    expect(topics.parseSet('home/sensors/pi-1/commands')).toBeNull();
    expect(topics.parseSet('devices/pi-1/set')).toBeNull();
    expect(topics.parseSet('home/sensors/+/set')).toBeNull();
    expect(topics.parseSet('home/sensors/pi-1/set/x')).toBeNull();
  });

  it('refuses an id that would widen a subscription', () => {
    expect(() => topics.set('#')).toThrow(/not valid/);
  });
});

describe('discovery topics', () => {
  it('put each device under <prefix>/device/<object id>/config', () => {
    const ha = new HaTopics('ha');
    expect(ha.deviceConfig('pi-1')).toBe('ha/device/pi-1/config');
    expect(ha.status()).toBe('ha/status');
    expect(ha.allDeviceConfigs()).toBe('ha/device/+/config');
  });

  it('keep object ids to the characters Home Assistant accepts, without two ids sharing one', () => {
    const dotted = discoveryObjectId('Pi_4.kitchen');
    expect(dotted).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(dotted).not.toBe(discoveryObjectId('Pi_4_kitchen'));
    expect(discoveryObjectId('Pi_4_kitchen')).toBe('Pi_4_kitchen');
    expect(discoveryObjectId('Pi_4.kitchen')).toBe(dotted);
  });

  it('read HA_DISCOVERY_PREFIX with the pattern of a topic root, and say why one is refused', () => {
    expect(loadEnvConfig({ p: haDiscoveryPrefixVar }, {}).p).toBe('homeassistant');
    expect(loadEnvConfig({ p: haDiscoveryPrefixVar }, { HA_DISCOVERY_PREFIX: 'ha/x' }).p).toBe('ha/x');
    expect(() => loadEnvConfig({ p: haDiscoveryPrefixVar }, { HA_DISCOVERY_PREFIX: 'ha/#' })).toThrow(
      /HA_DISCOVERY_PREFIX received "ha\/#"; accepted: one or more levels/,
    );
  });
});
