/**
 * The history worker thread (see HistoryWorker): its own read-only connection to the database file,
 * answering history queries so that a long one does not hold the main thread, which serves the ingest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { HistoryQuery } from './history-store.js';
import { rawFromOf, SqliteHistory } from './sqlite-history.js';

export interface HistoryRequest {
  id: number;
  query: HistoryQuery;
}

const port = parentPort;
if (port) {
  const db = new Database((workerData as { path: string }).path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const history = new SqliteHistory(db, rawFromOf(db));
  port.on('message', ({ id, query }: HistoryRequest) => {
    try {
      port.postMessage({ id, answer: history.history(query) });
    } catch (error) {
      port.postMessage({ id, error: (error as Error).message });
    }
  });
}
