import type { Logger } from 'pino';

export type BrokerKind = 'mosquitto' | 'aedes';

/** What the broker helpers log with: a pino logger, or anything with the same four methods. */
export type BrokerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** A running broker, whichever it is. */
export interface BrokerHandle {
  kind: BrokerKind;
  /** The host clients connect to (127.0.0.1 for the test brokers). */
  host: string;
  /** MQTT over TCP. */
  port: number;
  /** MQTT over WebSocket. */
  wsPort: number;
  /** `mqtt://host:port` */
  url: string;
  /** `ws://host:wsPort` */
  wsUrl: string;
  /** The broker's own process while it runs (Mosquitto), e.g. for a benchmark to read its CPU; undefined for aedes, which runs in this process. */
  readonly pid?: number;
  /** Stops the broker and waits until it is gone; retained messages and sessions are kept for `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same persistence, e.g. after `stop()` in a broker-outage test. */
  start(): Promise<void>;
}

/** The parts of a handle that only depend on where it listens. */
export function brokerAddress(host: string, port: number, wsPort: number) {
  return { host, port, wsPort, url: `mqtt://${host}:${port}`, wsUrl: `ws://${host}:${wsPort}` };
}

/**
 * Makes `start`/`stop` safe to call in any order and any number of times: a call made while the other is in
 * progress waits for it; stopping a stopped broker and starting a running one do nothing. `isRunning` is asked
 * each time, so a broker that died on its own can be started again.
 */
export function serializeLifecycle(
  startOnce: () => Promise<void>,
  stopOnce: () => Promise<void>,
  isRunning: () => boolean,
): Pick<BrokerHandle, 'start' | 'stop'> {
  let pending: Promise<void> = Promise.resolve();
  const enqueue = (wantRunning: boolean) => {
    const next = pending.then(async () => {
      if (isRunning() === wantRunning) return;
      await (wantRunning ? startOnce() : stopOnce());
    });
    pending = next.catch(() => undefined);
    return next;
  };
  return { start: () => enqueue(true), stop: () => enqueue(false) };
}
