import { join } from 'node:path';
import { TelemetryStore } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  capturingLogger,
  ManualClock,
  onlineStatus,
  readings,
  stored,
  telemetry,
  tempDir,
} from './fixtures.js';
import { SCHEMA_V1_SQL } from './schema-v1.js';

const NOW = '2025-03-01T12:00:00.000Z';

/** A database as the previous release left it: telemetry under (device_id, seq), `ts` the device's time. */
function previousReleaseDatabase(path: string, rows: Telemetry[], devices: Array<Record<string, unknown>>) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_V1_SQL);
  const insert = db.prepare(
    `INSERT INTO telemetry (device_id, seq, ts, timestamp, temperature, humidite, pression, batterie, mode, firmware, alerte, uptime, source)
     VALUES (@device_id, @seq, @ts, @timestamp, @temperature, @humidite, @pression, @batterie, @mode, @firmware, @alerte, @uptime, @source)`,
  );
  for (const row of rows) insert.run({ ...row, ts: Date.parse(row.timestamp), alerte: row.alerte ? 1 : 0 });
  const device = db.prepare(
    `INSERT INTO devices (device_id, first_seen, last_seen, status, online_status, latest, settings, firmware, alerte)
     VALUES (@device_id, 1000, 2000, @status, @status, @latest, NULL, 'v1.0.0', 0)`,
  );
  for (const row of devices) device.run(row);
  db.prepare("INSERT INTO users VALUES ('ada', 'admin', 'scrypt$hash', 0, 1, 1)").run();
  db.prepare(
    "INSERT INTO command_log VALUES ('c1', 'pi-1', 1, 'ada', 'user', '{\"mode\":\"auto\"}', 'applied', NULL, 2)",
  ).run();
  db.close();
}

describe('opening a database of the previous release', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore | null = null;
  const path = () => join(dir.path, 'dashboard.sqlite');
  const open = (log = capturingLogger('info')) => {
    store = new TelemetryStore({ path: path(), logger: log.logger, clock: new ManualClock(Date.parse(NOW)) });
    store.open();
    return store;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    store?.close();
    store = null;
    await dir.remove();
  });

  it('migrates it in place: every reading kept as contract 1 (epoch ""), filed at its timestamp unless in the future, figures from the rows', () => {
    // Its seq had gaps by design (a graceful restart skipped about a thousand).
    const old = [
      ...readings('pi-1', 50, '2025-03-01T10:00:00Z'),
      ...readings('pi-1', 50, '2025-03-01T11:00:00Z', 1000, 1000),
      ...readings('pi-2', 3, '2025-02-28T00:00:00Z'),
    ];
    const future = telemetry({ seq: 5000, timestamp: '2026-01-01T00:00:00.000Z' });
    previousReleaseDatabase(
      path(),
      [...old, future],
      [
        { device_id: 'pi-1', status: JSON.stringify(onlineStatus('pi-1')), latest: JSON.stringify(future) },
        {
          device_id: 'pi-3',
          status: null,
          latest: JSON.stringify(telemetry({ device_id: 'pi-3', timestamp: '2025-01-01T00:00:00.000Z' })),
        },
      ],
    );
    const log = capturingLogger('info');
    const s = open(log);

    expect(s.database.pragma('user_version', { simple: true })).toBe(2);
    const filedNow = { ...future, received_at: NOW, trusted_at: NOW };
    expect(s.recent({ limit: 1000, deviceId: 'pi-1' })).toEqual([
      ...old.filter((r) => r.device_id === 'pi-1').map((r) => stored(r, r.timestamp)),
      filedNow,
    ]);
    expect(s.recent({ limit: 10, deviceId: 'pi-2' })).toHaveLength(3);
    // Contract 1 readings count in received only: their gaps are not losses.
    expect(s.delivery('pi-1')).toEqual({ received: 101, lost: 0, conflicts: 0 });
    const [one, three] = s.loadDevices();
    expect(one?.latest).toEqual(filedNow);
    expect(one?.status).toEqual(onlineStatus('pi-1'));
    expect(one?.availability).toBeNull();
    expect(three?.latest).toMatchObject({
      trusted_at: '2025-01-01T00:00:00.000Z',
      received_at: '2025-01-01T00:00:00.000Z',
    });
    // The other tables are untouched.
    expect(s.database.prepare('SELECT username FROM users').all()).toEqual([{ username: 'ada' }]);
    expect(s.database.prepare('SELECT outcome FROM command_log').all()).toEqual([{ outcome: 'applied' }]);
    expect(log.lines.filter((line) => line.layout === 2)).toEqual([
      expect.objectContaining({
        readings: 104,
        msg: expect.stringMatching(/^Migrated the database to layout 2/),
      }),
    ]);

    // A device of contract 2 counting from seq 0 in its first epoch is not taken for the old seq 0.
    const fresh = telemetry({ seq: 0, epoch: 'e1', v: 2, clock_synced: true });
    expect(s.transaction(() => s.writeReading(stored(fresh)))).toEqual({ kind: 'stored' });

    // Opened again: nothing more to migrate.
    s.close();
    const again = capturingLogger('info');
    open(again);
    expect(again.lines.filter((line) => line.layout === 2)).toEqual([]);
    expect(store?.delivery('pi-1')).toEqual({ received: 102, lost: 0, conflicts: 0 });
  });

  it('leaves the old layout whole when the migration fails half way, and says why', () => {
    previousReleaseDatabase(path(), readings('pi-1', 5, '2025-03-01T10:00:00Z'), []);
    // Something in the way of the new tables: the copy into it fails after the telemetry was moved.
    const db = new Database(path());
    db.exec('CREATE TABLE delivery (something_else TEXT)');
    db.close();
    expect(() => open()).toThrow(
      /^Could not open the database .*dashboard\.sqlite: table delivery has no column named device_id/,
    );
    store = null;
    const check = new Database(path(), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(check.prepare('SELECT COUNT(*) AS n FROM telemetry').get()).toEqual({ n: 5 });
    expect(check.prepare("SELECT name FROM pragma_table_info('telemetry') WHERE name = 'ts'").get()).toEqual({
      name: 'ts',
    });
    check.close();
  });

  it('refuses a database of a newer layout with a sentence, untouched', () => {
    const db = new Database(path());
    db.pragma('user_version = 3');
    db.close();
    expect(() => open()).toThrow(
      /its layout is version 3, written by a newer release of the dashboard; this release reads version 2/,
    );
    store = null;
  });
});
