import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HaTopics, Topics } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordMatches, reconcileDynsecConfig } from '../src/secure/dynsec-config.js';
import { type DynsecRole, deviceRole } from '../src/secure/roles.js';

const OPENSSL = '/usr/bin/openssl';

describe('hashPassword', () => {
  it("stores what Mosquitto's dynsec loads: 12-byte salt, 64-byte PBKDF2-HMAC-SHA512, 101 iterations, base64", () => {
    const hash = hashPassword('secret');
    expect(hash.iterations).toBe(101);
    expect(Buffer.from(hash.salt, 'base64')).toHaveLength(12);
    expect(Buffer.from(hash.password, 'base64')).toHaveLength(64);
    expect(hash.password).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(hashPassword('secret').salt).not.toBe(hash.salt);
    expect(passwordMatches(hash, 'secret')).toBe(true);
    expect(passwordMatches(hash, 'Secret')).toBe(false);
  });

  it.skipIf(!existsSync(OPENSSL))('gives the hash OpenSSL computes for the same salt', () => {
    const salt = Buffer.from('000102030405060708090a0b', 'hex');
    const ours = Buffer.from(hashPassword('secret', salt).password, 'base64').toString('hex');
    const args = ['kdf', '-keylen', '64', '-kdfopt', 'digest:SHA512', '-kdfopt', 'pass:secret'];
    args.push('-kdfopt', `hexsalt:${salt.toString('hex')}`, '-kdfopt', 'iter:101', 'PBKDF2');
    const theirs = execFileSync(OPENSSL, args, { encoding: 'utf8' }).trim().replaceAll(':', '').toLowerCase();
    expect(ours).toBe(theirs);
  });
});

describe('reconcileDynsecConfig', () => {
  const passwords = { admin: 'admin-pass', dashboard: 'dash-pass' };
  const devices = new Topics('devices');

  it('bootstraps the default access, the two service roles and clients', () => {
    const config = reconcileDynsecConfig(undefined, passwords, devices);
    expect(config.defaultACLAccess).toEqual({
      publishClientSend: false,
      publishClientReceive: true,
      subscribe: false,
      unsubscribe: true,
    });
    expect(config.roles.map((role) => role.rolename)).toEqual(['fleet-admin', 'dashboard', 'homeassistant']);
    expect(config.roles[0]).toMatchObject({
      acls: [
        { acltype: 'publishClientSend', topic: '$CONTROL/dynamic-security/#', allow: true },
        { acltype: 'publishClientReceive', topic: '$CONTROL/dynamic-security/#', allow: true },
        { acltype: 'subscribePattern', topic: '$CONTROL/dynamic-security/#', allow: true },
        { acltype: 'publishClientSend', topic: 'devices/+/availability', allow: true },
      ],
    });
    expect(config.roles[1]).toMatchObject({
      acls: [
        { acltype: 'subscribePattern', topic: 'devices/+/data', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/status', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/availability', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/ack', allow: true },
        { acltype: 'publishClientSend', topic: 'devices/+/commands', allow: true },
        { acltype: 'publishClientSend', topic: 'homeassistant/device/+/config', allow: true },
        { acltype: 'subscribePattern', topic: 'homeassistant/status', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/set', allow: true },
        { acltype: 'subscribePattern', topic: '$share/+/devices/+/data', allow: true },
        { acltype: 'subscribePattern', topic: '$share/+/devices/+/set', allow: true },
      ],
    });
    expect(config.roles[2]).toMatchObject({
      acls: [
        { acltype: 'subscribePattern', topic: 'devices/+/data', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/status', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/availability', allow: true },
        { acltype: 'subscribePattern', topic: 'devices/+/ack', allow: true },
        { acltype: 'subscribePattern', topic: 'homeassistant/#', allow: true },
        { acltype: 'publishClientSend', topic: 'homeassistant/status', allow: true },
        { acltype: 'publishClientSend', topic: 'devices/+/set', allow: true },
      ],
    });
    // Home Assistant's client is made by the fleet command, not at start.
    expect(config.clients.map((client) => client.username)).toEqual(['fleet-admin', 'dashboard']);
    const [admin, dashboard] = config.clients;
    expect(admin).toMatchObject({ username: 'fleet-admin', roles: [{ rolename: 'fleet-admin' }] });
    expect(dashboard).toMatchObject({ username: 'dashboard', roles: [{ rolename: 'dashboard' }] });
    expect(admin?.clientid).toBeUndefined();
    expect(passwordMatches(admin ?? {}, 'admin-pass')).toBe(true);
    expect(passwordMatches(dashboard ?? {}, 'dash-pass')).toBe(true);
  });

  it('restores the service roles and passwords, and keeps devices, their roles and unknown fields', () => {
    const device = { username: 'sim-001', clientid: 'edge-sim-001', roles: [{ rolename: 'device-sim-001' }] };
    const first = reconcileDynsecConfig(undefined, passwords, devices);
    const tampered = {
      ...first,
      defaultACLAccess: { publishClientSend: true },
      clients: [...first.clients, device],
      roles: [{ rolename: 'dashboard', acls: [] }, deviceRole('sim-001', devices)],
      groups: [{ groupname: 'g' }],
      extra: 1,
    };
    const again = reconcileDynsecConfig(tampered, { ...passwords, dashboard: 'rotated' }, devices);
    expect(again.roles).toEqual([
      first.roles[0],
      first.roles[1],
      first.roles[2],
      deviceRole('sim-001', devices),
    ]);
    expect(again.clients.slice(2)).toEqual([device]);
    expect(again.defaultACLAccess).toEqual(first.defaultACLAccess);
    expect(again).toMatchObject({ groups: [{ groupname: 'g' }], extra: 1 });
    // An unchanged password keeps its hash (and salt); a rotated one gets a new hash.
    expect(again.clients[0]).toEqual(first.clients[0]);
    expect(passwordMatches(again.clients[1] ?? {}, 'rotated')).toBe(true);
  });

  it('moves every role to a new MQTT_TOPIC_ROOT, device roles included, and leaves other roles alone', () => {
    const before = reconcileDynsecConfig(undefined, passwords, devices);
    const custom = { rolename: 'observer', acls: [{ acltype: 'subscribePattern', topic: 'x/#' }] };
    const home = new Topics('home/sensors');
    const after = reconcileDynsecConfig(
      { ...before, roles: [...before.roles, deviceRole('sim-001', devices), custom] },
      passwords,
      home,
    );
    const topicsOf = (rolename: string) =>
      (after.roles.find((role) => role.rolename === rolename) as DynsecRole | undefined)?.acls.map(
        (acl) => acl.topic,
      );
    expect(topicsOf('device-sim-001')).toEqual([
      'home/sensors/sim-001/data',
      'home/sensors/sim-001/status',
      'home/sensors/sim-001/availability',
      'home/sensors/sim-001/ack',
      'home/sensors/sim-001/commands',
    ]);
    expect(
      topicsOf('dashboard')?.every(
        (topic) =>
          topic.startsWith('home/sensors/+/') ||
          topic.startsWith('$share/+/home/sensors/+/') ||
          topic.startsWith('homeassistant/'),
      ),
    ).toBe(true);
    expect(topicsOf('fleet-admin')).toContain('home/sensors/+/availability');
    expect(after.roles.find((role) => role.rolename === 'observer')).toEqual(custom);
  });

  it("moves the dashboard's and Home Assistant's roles to a new HA_DISCOVERY_PREFIX, and keeps Home Assistant's client", () => {
    const first = reconcileDynsecConfig(undefined, passwords, devices);
    const homeassistant = {
      username: 'homeassistant',
      roles: [{ rolename: 'homeassistant' }],
      password: 'x',
    };
    const after = reconcileDynsecConfig(
      { ...first, clients: [...first.clients, homeassistant] },
      passwords,
      devices,
      new HaTopics('ha/fleet'),
    );
    const topicsOf = (rolename: string) =>
      (after.roles.find((role) => role.rolename === rolename) as DynsecRole | undefined)?.acls.map(
        (acl) => acl.topic,
      );
    expect(topicsOf('dashboard')).toEqual(
      expect.arrayContaining(['ha/fleet/device/+/config', 'ha/fleet/status']),
    );
    expect(topicsOf('homeassistant')).toEqual(expect.arrayContaining(['ha/fleet/#', 'ha/fleet/status']));
    expect([...(topicsOf('dashboard') ?? []), ...(topicsOf('homeassistant') ?? [])].join()).not.toContain(
      'homeassistant/',
    );
    expect(after.roles.filter((role) => role.rolename === 'homeassistant')).toHaveLength(1);
    expect(after.clients).toContainEqual(homeassistant);
  });

  it("refuses the name of Home Assistant's user as a device id", () => {
    expect(() => deviceRole('homeassistant', devices)).toThrow(/broker's own homeassistant user/);
  });
});
