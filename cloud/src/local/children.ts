import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildSpec {
  /** Short name put before each of its output lines: `[sim-001] {...}`. */
  name: string;
  /** The compiled entry point run with this machine's Node, e.g. edge/dist/main.js. */
  script: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Where the children's output lines go (the launcher's stdout and stderr). */
export interface ChildOutput {
  stdout: Writable;
  stderr: Writable;
}

export interface RunningChild {
  readonly name: string;
  readonly pid: number;
  /** Settles once the process has ended and its output is read to the end. */
  readonly exited: Promise<ChildExit>;
  /** True until `exited` settles. */
  readonly running: boolean;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves when it is gone. */
  stop(graceMs: number): Promise<ChildExit>;
  /** SIGKILL at once, synchronously (for the launcher's own exit). */
  kill(): void;
}

/** Copies each line of `input` to `output` with `[name] ` in front. */
function prefixLines(input: NodeJS.ReadableStream, output: Writable, name: string): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => output.write(`[${name}] ${line}\n`));
  return new Promise((resolve) => lines.once('close', resolve));
}

/**
 * Starts `node <script>` as a child in its own process group, so a Ctrl-C in the terminal reaches only the
 * launcher, which then stops the children in order. Its output lines are copied with a `[name]` prefix.
 */
export function startChild(spec: ChildSpec, output: ChildOutput): RunningChild {
  const child: ChildProcess = spawn(process.execPath, [spec.script], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined || !child.stdout || !child.stderr) {
    throw new Error(`Could not start ${spec.name} (${spec.script}).`);
  }
  const pid = child.pid;
  let running = true;
  const outputDone = Promise.all([
    prefixLines(child.stdout, output.stdout, spec.name),
    prefixLines(child.stderr, output.stderr, spec.name),
  ]);
  const ended = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const exited = Promise.all([ended, outputDone]).then(([exit]) => {
    running = false;
    return exit;
  });

  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  return {
    name: spec.name,
    pid,
    exited,
    get running() {
      return running;
    },
    async stop(graceMs) {
      if (!running) return exited;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
    kill() {
      if (running) signal('SIGKILL');
    },
  };
}

/** "exited with code 1" / "was ended by SIGKILL", for log lines. */
export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `was ended by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}
