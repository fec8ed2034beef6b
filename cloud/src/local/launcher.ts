import type { Writable } from 'node:stream';
import { createLogger } from '@fleet/shared';
import { PortInUseError } from '../listen.js';
import { parseLauncherArgs, USAGE } from './args.js';
import { formatBanner } from './banner.js';
import { LocalFleet } from './fleet.js';
import { type EntryPoints, entryPoints, missingEntryPoints } from './paths.js';
import { LaunchError } from './ports.js';

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What the launcher talks to: its output streams and the signals that stop it. */
export interface LauncherIo {
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  /** Calls `handler` on each stop signal until the returned function is called. */
  onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

/** The process's own streams and signals. */
export function processIo(): LauncherIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    onStopSignal(handler) {
      for (const signal of STOP_SIGNALS) process.on(signal, handler);
      return () => {
        for (const signal of STOP_SIGNALS) process.off(signal, handler);
      };
    },
  };
}

type StopReason =
  | { kind: 'signal'; signal: NodeJS.Signals }
  /** A child, or Mosquitto, ended by itself: "exited with code 1". */
  | { kind: 'child'; name: string; description: string };

function oneSentence(error: unknown): string {
  if (error instanceof LaunchError || error instanceof PortInUseError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `The local fleet could not start: ${message.replace(/\.?$/, '.')}`;
}

/**
 * `npm start`: runs the fleet until a stop signal, then stops everything and resolves with the exit code:
 * 0 after a signal, 1 when the arguments are wrong, a part could not start, or a child ended by itself.
 */
export async function runLauncher(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: LauncherIo,
  entries: EntryPoints = entryPoints(),
): Promise<number> {
  const parsed = parseLauncherArgs(argv, env);
  if (parsed.kind === 'error') {
    io.stderr.write(`${parsed.error}\n`);
    return 1;
  }
  if (parsed.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const missing = missingEntryPoints(entries);
  if (missing.length > 0) {
    const verb = missing.length > 1 ? 'are' : 'is';
    io.stderr.write(
      `${missing.join(' and ')} ${verb} not built; run "npm run build" first (npm start does).\n`,
    );
    return 1;
  }

  const { options } = parsed;
  const logger = createLogger('local', options.logLevel);
  let stopReason: StopReason | undefined;
  let stopRequested: (reason: StopReason) => void = () => undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    stopRequested = resolve;
  });
  const fleet = new LocalFleet({
    options,
    entries,
    env,
    cwd: io.cwd,
    output: { stdout: io.stdout, stderr: io.stderr },
    logger,
    onUnexpectedExit: (name, description) => requestStop({ kind: 'child', name, description }),
  });
  const requestStop = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    fleet.abortStart();
    stopRequested(reason);
  };
  const unhook = io.onStopSignal((signal) => {
    if (stopReason) {
      logger.info({ signal }, 'Already stopping');
      return;
    }
    logger.info({ signal }, 'Stopping everything');
    requestStop({ kind: 'signal', signal });
  });

  let code = 0;
  try {
    await fleet.start();
    if (fleet.summary && !stopReason) {
      // The banner comes after the log lines written so far, not in the middle of them.
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      io.stdout.write(formatBanner(fleet.summary));
    }
    await stopped;
  } catch (error) {
    if (!stopReason) {
      io.stderr.write(`${oneSentence(error)}\n`);
      code = 1;
    }
  } finally {
    await fleet.stop();
    unhook();
  }
  const reason = stopReason as StopReason | undefined;
  if (reason?.kind === 'child') {
    io.stderr.write(`${reason.name} ${reason.description}, so everything was stopped.\n`);
    code = 1;
  }
  logger.info({ exitCode: code }, 'Everything is stopped');
  // main.ts exits right after: a log line still being written could otherwise come out after this one.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return code;
}
