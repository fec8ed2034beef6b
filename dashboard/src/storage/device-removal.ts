import type Database from 'better-sqlite3';
import { PER_DEVICE_ROLLUP_TABLES } from './rollup-schema.js';
import { Rollups } from './rollups.js';

const DELETE_CHUNK = 5000;

/**
 * Forgetting a device in the database: its registry row and delivery figures, its readings (a chunk at a
 * time) and their rollups, and the list of devices forgotten (`forgotten_devices`). The command trail is kept
 * (an audit log). It shares the store's database, like the users and the trail; statements are prepared at
 * the first use, on the open database.
 */
export class DeviceRemoval {
  private statements: ReturnType<typeof prepare> | null = null;

  constructor(private readonly database: () => Database.Database) {}

  /**
   * Forgets a device in one transaction: its registry row and delivery figures go, and it is listed as
   * forgotten. Its readings go with `deleteReadings`.
   */
  forgetDevice(deviceId: string, at: number): void {
    const { db, forgetRegistry, forgetDelivery, addForgotten } = this.use();
    db.transaction(() => {
      forgetRegistry.run(deviceId);
      forgetDelivery.run(deviceId);
      addForgotten.run(deviceId, at);
    })();
  }

  /**
   * Removes the readings of a device received up to `upTo` (epoch ms), a chunk at a time so that writes go
   * on in between, then its rollups. Readings it sent after (it came back meanwhile) stay. Each chunk tells
   * the rollups in its transaction (SQLite may give the rowids of the newest rows removed again).
   */
  async deleteReadings(deviceId: string, upTo: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const { db, deleteChunk, rollups } = this.use();
      const changes = db.transaction(() => {
        const count = deleteChunk.run(deviceId, upTo, DELETE_CHUNK).changes;
        rollups.afterRemoval();
        return count;
      })();
      removed += changes;
      if (changes < DELETE_CHUNK) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { db, deleteFigures } = this.use();
    db.transaction(() => {
      for (const statement of deleteFigures) statement.run(deviceId);
    })();
    return removed;
  }

  /** The devices forgotten that have not sent a live message since. */
  forgottenDevices(): string[] {
    return this.use().allForgotten.all() as string[];
  }

  /** A forgotten device sent a live message: it is no longer listed as forgotten. */
  unforget(deviceId: string): void {
    this.use().removeForgotten.run(deviceId);
  }

  private use() {
    const db = this.database();
    if (this.statements?.db !== db) this.statements = prepare(db);
    return this.statements;
  }
}

function prepare(db: Database.Database) {
  return {
    db,
    forgetRegistry: db.prepare('DELETE FROM devices WHERE device_id = ?'),
    forgetDelivery: db.prepare('DELETE FROM delivery WHERE device_id = ?'),
    addForgotten: db.prepare(
      `INSERT INTO forgotten_devices (device_id, forgotten_at) VALUES (?, ?)
       ON CONFLICT (device_id) DO UPDATE SET forgotten_at = excluded.forgotten_at`,
    ),
    rollups: new Rollups(db),
    deleteChunk: db.prepare(
      `DELETE FROM telemetry WHERE rowid IN (
         SELECT rowid FROM telemetry WHERE device_id = ? AND received_at <= ? LIMIT ?)`,
    ),
    deleteFigures: PER_DEVICE_ROLLUP_TABLES.map((table) =>
      db.prepare(`DELETE FROM ${table} WHERE device_id = ?`),
    ),
    allForgotten: db.prepare('SELECT device_id FROM forgotten_devices ORDER BY device_id').pluck(),
    removeForgotten: db.prepare('DELETE FROM forgotten_devices WHERE device_id = ?'),
  };
}
