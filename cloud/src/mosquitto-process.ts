import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BrokerLogger } from './broker-handle.js';
import { onProcessExit } from './exit-cleanup.js';
import { OutputTail } from './output-tail.js';
import { waitFor, waitForPort } from './wait-for-port.js';

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
  /** Each line Mosquitto writes; default: logged at debug level. */
  onLine?: (line: string) => void;
  /**
   * Ready when Mosquitto writes "mosquitto version … running" (after its listeners opened) instead of when
   * each port accepts a TCP connection: a bare TCP probe of a TLS listener makes Mosquitto log a failed
   * handshake at every start. Needs line-buffered output (stdbuf); without it the ports are probed.
   */
  readyFromOutput?: boolean;
  /** Called when Mosquitto exits by itself after it started (not on `stop()`). */
  onUnexpectedExit?: (description: string) => void;
  /**
   * Runs it in its own process group, so a Ctrl-C in the terminal reaches only this process, which then
   * stops it last (the local launcher). It is still killed when this process exits.
   */
  detached?: boolean;
}

const STOP_GRACE_MS = 10_000;

/**
 * Mosquitto 2.0.11 writes its log to stdout with fprintf and no fflush (src/logging.c), so through a pipe
 * its lines arrive in 4 KiB blocks, minutes late. coreutils' stdbuf makes its stdout line-buffered; it
 * execs Mosquitto in place, so the process, its pid and its signals stay Mosquitto's.
 */
const STDBUF = '/usr/bin/stdbuf';

/** The line Mosquitto writes once its listeners are open. */
const RUNNING = /mosquitto version \S+ running/;

function command(binary: string, confPath: string): [string, string[]] {
  const args = ['-c', confPath];
  return existsSync(STDBUF) && existsSync(binary) ? [STDBUF, ['-oL', binary, ...args]] : [binary, args];
}

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
    const onLine =
      this.options.onLine ?? ((line: string) => logger.debug({ mosquitto: line }, 'mosquitto output'));
    const tail = new OutputTail();
    const [file, args] = command(binary, confPath);
    let running = false;
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached === true,
    });
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
          this.options.onUnexpectedExit?.(exitDescription);
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
        for (const line of tail.add(chunk)) {
          if (RUNNING.test(line)) running = true;
          onLine(line);
        }
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
      if (this.options.readyFromOutput && file === STDBUF) {
        await waitFor(() => running, `Mosquitto did not say it was running within ${startTimeoutMs} ms.`, {
          timeoutMs: startTimeoutMs,
          gaveUp,
        });
      } else {
        for (const port of ports) await waitForPort(host, port, { timeoutMs: startTimeoutMs, gaveUp });
      }
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

  /** The process id while it runs (the process execs Mosquitto in place). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
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
