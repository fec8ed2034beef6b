/** The throwaway PostgreSQL server of the tests (in src, so that the bench workspace uses it too). */
export {
  postgresBin,
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
  timescaleLibrary,
  timescaleMissing,
} from '../../src/storage/postgres/test-server.js';
