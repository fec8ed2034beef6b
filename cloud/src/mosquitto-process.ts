import { type ChildProcess, spawn } from 'node:child_process';
import type { BrokerLogger } from './broker-handle.js';
import { onProcessExit } from './exit-cleanup.js';
import { OutputTail } from './output-tail.js';
import { waitForPort } from './wait-for-port.js';

export interface MosquittoProcessOptions {
  binary: string;
  /** The rewritten configuration actually passed with `-c`. */
  confPath: string;
  /** The file it was made from, to name in errors. */
  sourceConfPath: string;
  host: string;
  ports: number[];
  startTimeoutMs: number;
  logger: BrokerLogger;
}

const STOP_GRACE_MS = 10_000;

/** One run of `mosquitto -c <conf>`: spawned, waited for until it listens, stopped with SIGTERM. */
export class MosquittoProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private started = false;

  constructor(private readonly options: MosquittoProcessOptions) {}

  /** Resolves once every port accepts connections; rejects with Mosquitto's own output if it fails. */
  async start(): Promise<void> {
    const { binary, confPath, sourceConfPath, host, ports, startTimeoutMs, logger } = this.options;
    const tail = new OutputTail();
    const child = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stopping = false;
    this.started = false;
    const cancelCleanup = onProcessExit(() => child.kill('SIGKILL'));
    let exitDescription: string | undefined;
    let spawnError: Error | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitDescription = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        cancelCleanup();
        if (!this.stopping && this.started) {
          logger.error({ output: tail.text() }, `Mosquitto ${exitDescription} while it was serving.`);
        }
        resolve();
      });
      // A binary that cannot be run gives 'error' and no 'exit'.
      child.once('error', (error) => {
        spawnError = error;
        cancelCleanup();
        resolve();
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of tail.add(chunk)) logger.debug({ mosquitto: line }, 'mosquitto output');
      });
    }
    const gaveUp = () => {
      if (spawnError) return `Mosquitto could not be run from ${binary}: ${spawnError.message}`;
      if (exitDescription) {
        return `Mosquitto ${exitDescription} before listening on ${host}:${ports.join(' and ')} with the configuration from ${sourceConfPath}. Its output:\n${tail.text()}`;
      }
      return undefined;
    };
    try {
      for (const port of ports) await waitForPort(host, port, { timeoutMs: startTimeoutMs, gaveUp });
      // It may have failed on a port that someone else answered on: settle that before saying it started.
      const reason = gaveUp();
      if (reason) throw new Error(reason);
    } catch (error) {
      await this.stop();
      const message = (error as Error).message;
      throw new Error(
        message.startsWith('Mosquitto') ? message : `${message} Mosquitto's output:\n${tail.text()}`,
      );
    }
    this.started = true;
  }

  /** True from a successful `start()` until the process exits. */
  get running(): boolean {
    const child = this.child;
    return this.started && child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGTERM, then waits for the exit (Mosquitto saves its persistence file on the way out). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      return this.exited;
    }
    this.stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
