import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@fleet/shared';
import type { HistoryAnswer, HistoryQuery, HistoryStore } from './history-store.js';
import type { TelemetryStore } from './telemetry-store.js';

const THREAD = new URL('./history-thread.js', import.meta.url);

type Pending = { resolve: (answer: HistoryAnswer | Uint8Array) => void; reject: (error: Error) => void };
type Reply = { id: number; answer?: HistoryAnswer; json?: Uint8Array; error?: string };

export interface HistoryWorkerOptions {
  /** The open store: its file, and the rollups' catch-up before each query (a write, on this thread). */
  store: Pick<TelemetryStore, 'path' | 'history' | 'catchUpRollups'>;
  logger: Logger;
}

/**
 * History queries on a worker thread with its own read-only connection (WAL lets it read while the main
 * thread writes): a query of many raw readings (an hour at 1 Hz) costs the ingest nothing. Without the
 * compiled thread script (tests run from the sources) or a file database, or when the thread has died, the
 * queries run on the main thread, as TelemetryStore.history.
 */
export class HistoryWorker implements HistoryStore {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly options: HistoryWorkerOptions) {}

  start(): void {
    const { store, logger } = this.options;
    if (this.worker || store.path === ':memory:') return;
    if (!existsSync(fileURLToPath(THREAD))) {
      logger.debug(
        { thread: fileURLToPath(THREAD) },
        'History queries run on the main thread (no compiled thread script)',
      );
      return;
    }
    const worker = new Worker(THREAD, { workerData: { path: store.path } });
    worker.unref();
    worker.on('message', (message: Reply) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      const result = message.json ?? message.answer;
      if (result) waiting?.resolve(result);
      else waiting?.reject(new Error(message.error ?? 'the history thread gave no answer'));
    });
    worker.on('error', (error) => {
      logger.error(
        { err: error },
        'The history thread failed; history queries run on the main thread from now on',
      );
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(new Error('the history thread stopped'));
      this.pending.clear();
    });
    this.worker = worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const waiting of this.pending.values()) waiting.reject(new Error('the history thread stopped'));
    this.pending.clear();
    await worker?.terminate();
  }

  /** Whether queries go to the thread (false: on the main thread). */
  get threaded(): boolean {
    return this.worker !== null;
  }

  history(query: HistoryQuery): HistoryAnswer | Promise<HistoryAnswer> {
    if (!this.worker) return this.options.store.history(query);
    return this.ask(query, false) as Promise<HistoryAnswer>;
  }

  historyJson(query: HistoryQuery): Promise<Uint8Array> | null {
    if (!this.worker) return null;
    return this.ask(query, true) as Promise<Uint8Array>;
  }

  private ask(query: HistoryQuery, json: boolean): Promise<HistoryAnswer | Uint8Array> {
    const worker = this.worker as Worker;
    this.options.store.catchUpRollups();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, query, json });
    });
  }
}
