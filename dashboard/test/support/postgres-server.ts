import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../src/storage/postgres/test-server.js';

/** The throwaway PostgreSQL server of the tests (in src, so that the bench workspace uses it too). */
export {
  postgresBin,
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
  timescaleLibrary,
  timescaleMissing,
} from '../../src/storage/postgres/test-server.js';

/**
 * A describe block whose tests share a throwaway PostgreSQL server, started before them and stopped after
 * (`server()` is it, once started). Where `missing` says why that cannot run here, the block is one skipped
 * test whose name says why, and the reason is printed: never left out silently.
 */
export function describeWithPostgres(
  title: string,
  missing: string | null,
  suite: (server: () => TestPostgres) => void,
): void {
  describe(title, () => {
    if (missing) {
      console.warn(`SKIPPED: ${title}: ${missing}`);
      it.skip(`skipped: ${missing}`, () => {});
      return;
    }
    let started: TestPostgres | undefined;
    beforeAll(async () => {
      started = await startTestPostgres();
    });
    afterAll(async () => {
      await started?.stop();
    });
    suite(() => {
      if (!started) throw new Error('The throwaway PostgreSQL server is not started yet.');
      return started;
    });
  });
}
