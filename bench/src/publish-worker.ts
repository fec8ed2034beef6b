import { parentPort, Worker, workerData } from 'node:worker_threads';
import { Publishers } from './publishers.js';

export interface PacedRun {
  url: string;
  /** MQTT clients publishing. */
  clients: number;
  devices: string[];
  epoch: string;
  name: string;
  rate: number;
  seconds: number;
}

export interface PacedOutcome {
  sent: number;
  failed: number;
}

type FromWorker = { kind: 'ready' } | ({ kind: 'done' } & PacedOutcome) | { kind: 'error'; message: string };

/**
 * Paced publishers in a worker thread: publishing has its own event loop, so the main thread's work
 * (reading event streams) neither slows the rate nor delays the send times stamped in the readings.
 */
export async function startPacedPublishers(run: PacedRun): Promise<{ go(): Promise<PacedOutcome> }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: run });
  const next = () =>
    new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const ready = await next();
  if (ready.kind === 'error') throw new Error(ready.message);
  return {
    go: async () => {
      worker.postMessage('go');
      const done = await next();
      await worker.terminate();
      if (done.kind !== 'done')
        throw new Error(done.kind === 'error' ? done.message : 'publisher worker stopped');
      return { sent: done.sent, failed: done.failed };
    },
  };
}

async function workerMain(port: NonNullable<typeof parentPort>, run: PacedRun): Promise<void> {
  try {
    const publishers = await Publishers.connect({
      url: run.url,
      count: run.clients,
      devices: run.devices,
      epoch: run.epoch,
      name: run.name,
    });
    port.postMessage({ kind: 'ready' } satisfies FromWorker);
    port.once('message', async () => {
      const sent = await publishers.paced(run.rate, run.seconds);
      await publishers.close();
      port.postMessage({ kind: 'done', sent, failed: publishers.failed } satisfies FromWorker);
    });
  } catch (error) {
    port.postMessage({ kind: 'error', message: (error as Error).message } satisfies FromWorker);
  }
}

if (parentPort && (workerData as PacedRun | undefined)?.rate !== undefined) {
  void workerMain(parentPort, workerData as PacedRun);
}
