import type { Logger } from '@fleet/shared';
import type pg from 'pg';
import { type PgLayout, PlainLayout } from './layout.js';
import { timescaleAvailable } from './migrations.js';
import { TimescaleRollups } from './timescale-rollups.js';
import { enableTimescale, hasTimescaleLayout } from './timescale-schema.js';

export interface ChosenLayout {
  name: 'plain' | 'timescale';
  layout: PgLayout;
  /** What the start-up line says. */
  flavour: string;
}

/**
 * TimescaleDB where the database already has its layout, or where the extension can be created (and
 * `timescale` is wanted); else plain PostgreSQL. Which one, and why not TimescaleDB, is logged at info.
 */
export async function chooseLayout(
  pool: pg.Pool,
  options: { logger: Logger; label: string; timescale: boolean },
): Promise<ChosenLayout> {
  const { logger, label } = options;
  const already = await hasTimescaleLayout(pool);
  const available = await timescaleAvailable(pool);
  let reason = available ? 'not wanted here' : 'not installed on this server';
  if (already || (available && options.timescale)) {
    const outcome = await enableTimescale(pool);
    if (outcome.used) {
      const flavour = `TimescaleDB ${outcome.version}: hypertable, compression, continuous aggregates`;
      logger.info(
        { database: label, timescaledb: outcome.version, converted: outcome.converted },
        `Readings stored in ${flavour}`,
      );
      return { name: 'timescale', layout: new TimescaleRollups(pool), flavour };
    }
    if (already) throw new Error(`its readings are in TimescaleDB, which fails here: ${outcome.reason}`);
    reason = `could not be created: ${outcome.reason}`;
  }
  const flavour = 'plain PostgreSQL: rollups maintained by the dashboard';
  logger.info(
    { database: label, timescaledb: false, reason },
    `Readings stored in ${flavour} (TimescaleDB ${reason})`,
  );
  return { name: 'plain', layout: new PlainLayout(pool), flavour };
}
