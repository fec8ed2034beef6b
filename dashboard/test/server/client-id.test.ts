import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_ID_FILE, DATABASE_FILE, resolveClientId } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe("the dashboard's MQTT client id", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'client-id-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is made once per installation and kept in DATA_DIR, so its session survives a new container', async () => {
    const first = await resolveClientId(null, join(dir, 'data'));
    expect(first).toMatch(/^dashboard-[0-9a-f]{12}$/);
    expect((await readFile(join(dir, 'data', CLIENT_ID_FILE), 'utf8')).trim()).toBe(first);
    expect(await resolveClientId(null, join(dir, 'data'))).toBe(first);
  });

  it('differs between installations, so two dashboards on one broker do not throw each other off', async () => {
    const ids = await Promise.all(['a', 'b', 'c'].map((name) => resolveClientId(null, join(dir, name))));
    expect(new Set(ids).size).toBe(3);
  });

  it('stays "dashboard" for an installation upgraded from the fixed id, so the session of the upgrade is not lost', async () => {
    const upgraded = join(dir, 'upgraded');
    await mkdir(upgraded);
    await writeFile(join(upgraded, DATABASE_FILE), '');
    expect(await resolveClientId(null, upgraded)).toBe('dashboard');
    expect(await resolveClientId(null, upgraded)).toBe('dashboard');
  });

  it('is MQTT_CLIENT_ID when that is set', async () => {
    expect(await resolveClientId('dashboard-main', dir)).toBe('dashboard-main');
  });
});
