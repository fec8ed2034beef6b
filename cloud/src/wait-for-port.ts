import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Resolves once `host:port` accepts a TCP connection. Rejects after `timeoutMs`, or as soon as `gaveUp()`
 * says there is no point waiting any more (e.g. the process that should listen has exited).
 */
export function waitForPort(
  host: string,
  port: number,
  options: { timeoutMs: number; gaveUp?: () => string | undefined },
): Promise<void> {
  return waitFor(
    () => tryConnect(host, port),
    `${host}:${port} did not accept connections within ${options.timeoutMs} ms.`,
    options,
  );
}

/** Resolves once `done()` is true, checked every 50 ms; rejects with `timeoutMessage`, or when `gaveUp()` says. */
export async function waitFor(
  done: () => boolean | Promise<boolean>,
  timeoutMessage: string,
  options: { timeoutMs: number; gaveUp?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const reason = options.gaveUp?.();
    if (reason) throw new Error(reason);
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(timeoutMessage);
    await sleep(50);
  }
}
