/**
 * The history worker thread (see HistoryWorker): its own read-only connection to the database file,
 * answering history queries so that a long one does not hold the main thread, which serves the ingest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type HistoryQuery, historyResponse } from './history-store.js';
import { rawFromOf, SqliteHistory } from './sqlite-history.js';

export interface HistoryRequest {
  id: number;
  query: HistoryQuery;
  /** Answer with the response's JSON bytes (transferred, not copied) instead of the answer's objects. */
  json?: boolean;
}

const port = parentPort;
if (port) {
  const db = new Database((workerData as { path: string }).path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const history = new SqliteHistory(db, rawFromOf(db));
  port.on('message', ({ id, query, json }: HistoryRequest) => {
    try {
      const answer = history.history(query);
      if (json) {
        const bytes = Buffer.from(JSON.stringify(historyResponse(query, answer)));
        // A buffer of its own (a small one may share Node's pool): it can be transferred.
        const own = new Uint8Array(bytes.length);
        own.set(bytes);
        port.postMessage({ id, json: own }, [own.buffer]);
      } else {
        port.postMessage({ id, answer });
      }
    } catch (error) {
      port.postMessage({ id, error: (error as Error).message });
    }
  });
}
