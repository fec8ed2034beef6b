import type pg from 'pg';

/**
 * Lists a device as forgotten (DATABASE_URL, layout version 4): run by PgReadingStore.forgetDevice in the
 * transaction that removes its registry row, so that the two go together.
 */
export const ADD_FORGOTTEN_SQL = `INSERT INTO forgotten_devices (device_id, forgotten_at) VALUES ($1, $2)
ON CONFLICT (device_id) DO UPDATE SET forgotten_at = excluded.forgotten_at`;

/**
 * The list of forgotten devices in PostgreSQL, shared by every replica (Tombstones reads it at start and again
 * every few seconds, TombstoneRefresh): a device forgotten through one replica is left out by all, and a live
 * message from it, taken in by any, removes it from the list.
 */
export class PgForgottenDevices {
  constructor(private readonly pool: pg.Pool) {}

  async forgottenDevices(): Promise<string[]> {
    const { rows } = await this.pool.query<{ device_id: string }>(
      'SELECT device_id FROM forgotten_devices ORDER BY device_id',
    );
    return rows.map((row) => row.device_id);
  }

  async unforget(deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM forgotten_devices WHERE device_id = $1', [deviceId]);
  }
}
