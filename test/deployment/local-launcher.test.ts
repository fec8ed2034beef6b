import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fleet/cloud';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childPids,
  cleanUpLaunched,
  isAlive,
  launch,
  launcherEnv,
  launcherLog,
  missingBuilds,
  onlineDevices,
  pollUntil,
  removeLater,
  withTimeout,
} from './helpers/launcher.js';

const missing = missingBuilds();
const skipReason = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not built; run npm run build)` : '';

afterEach(cleanUpLaunched);

describe('npm start (the compiled local launcher)', () => {
  it.skipIf(missing.length > 0)(
    `runs a broker, the dashboard and 2 devices that show online, and stops them all on SIGINT${skipReason}`,
    async () => {
      const dataDir = removeLater(await mkdtemp(join(tmpdir(), 'fleet-launcher-')));
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(await freePort());
      const [httpPort = 0, mqttPort = 0, wsPort = 0] = [...ports];
      const launched = launch([
        '--devices',
        '2',
        '--port',
        String(httpPort),
        '--mqtt-port',
        String(mqttPort),
        '--ws-port',
        String(wsPort),
        '--data-dir',
        dataDir,
      ]);

      const online = await pollUntil(
        () => onlineDevices(httpPort),
        (ids) => ids.length >= 2,
        20_000,
      );
      expect(online.sort(), `online devices; launcher output:\n${launcherLog(launched)}`).toEqual([
        'sim-001',
        'sim-002',
      ]);
      expect(launched.stdout).toContain(`  Dashboard    http://localhost:${httpPort}`);
      expect(launched.stdout.some((line) => line.includes(`mqtt://localhost:${mqttPort}`))).toBe(true);
      const pids = childPids(launched.stdout);
      expect([...pids.keys()].sort()).toEqual(['dashboard', 'sim-001', 'sim-002']);

      launched.process.kill('SIGINT');
      const exit = await withTimeout(launched.exited, 15_000, 'the launcher exit after SIGINT');
      expect(exit).toEqual({ code: 0, signal: null });
      expect([...pids.values()].filter(isAlive)).toEqual([]);
      const stopped = launched.stdout.filter((line) =>
        /"msg":"(dashboard|sim-00\d) exited with code 0"/.test(line),
      );
      expect(stopped).toHaveLength(3);
    },
    40_000,
  );

  it.skipIf(missing.length > 0)(
    `stops everything and exits 1 when a part stops by itself${skipReason}`,
    async () => {
      const dataDir = removeLater(await mkdtemp(join(tmpdir(), 'fleet-launcher-')));
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(await freePort());
      const [httpPort = 0, mqttPort = 0, wsPort = 0] = [...ports];
      // The dashboard refuses HISTORY_DAYS=0 at start-up (one line, exit 1); the launcher must not hang.
      const launched = launch(
        [
          '--port',
          String(httpPort),
          '--mqtt-port',
          String(mqttPort),
          '--ws-port',
          String(wsPort),
          '--data-dir',
          dataDir,
        ],
        launcherEnv({ HISTORY_DAYS: '0' }),
      );
      const exit = await withTimeout(launched.exited, 15_000, 'the launcher exit');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(launched.stderr).toContain('dashboard exited with code 1, so everything was stopped.');
      expect(
        launched.stdout.some((line) => line.startsWith('[dashboard] ') && line.includes('HISTORY_DAYS')),
      ).toBe(true);
      expect([...childPids(launched.stdout).values()].filter(isAlive)).toEqual([]);
    },
    30_000,
  );

  it.skipIf(missing.length > 0)(
    `refuses --devices abc in one sentence and exits 1${skipReason}`,
    async () => {
      const launched = launch(['--devices', 'abc']);
      const exit = await withTimeout(launched.exited, 10_000, 'the launcher exit');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(launched.stderr.filter((line) => line !== '')).toEqual([
        'Option --devices received "abc"; accepted: a whole number from 1 to 100.',
      ]);
      expect(launched.stdout.filter((line) => line !== '')).toEqual([]);
    },
  );
});
