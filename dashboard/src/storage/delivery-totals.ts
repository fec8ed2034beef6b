import type Database from 'better-sqlite3';
import type { DeliveryFigures } from '../api-types.js';
import { LOST_OF_EPOCH_SQL } from './reading-writer.js';

const TOTALS_SQL = `
SELECT COALESCE(SUM(received), 0) AS received, COALESCE(SUM(conflicts), 0) AS conflicts,
       COALESCE(SUM(${LOST_OF_EPOCH_SQL}), 0) AS lost
FROM delivery`;

/**
 * The delivery figures of the whole fleet, summed in one statement (no row per device): the same sums as
 * adding up every device's figures. Throws when the database does not answer.
 */
export class DeliveryTotals {
  private readonly totals: Database.Statement;

  constructor(db: Database.Database) {
    this.totals = db.prepare(TOTALS_SQL);
  }

  read(): DeliveryFigures {
    const row = this.totals.get() as DeliveryFigures;
    return { received: row.received, lost: row.lost, conflicts: row.conflicts };
  }
}
