import type { Writable } from 'node:stream';
import { DEVICE_ID_ACCEPTED, isValidDeviceId } from '@fleet/shared';

export const DEFAULT_DASHBOARD_URL = 'http://127.0.0.1:8080';

export const FORGET_USAGE = `       npm run fleet -- device forget ID [ID…]

  device forget ID…  removes the devices from the dashboard (DELETE /api/devices/:id): its list, their readings
                     and delivery figures; their commands stay in its trail. Their credentials are untouched
                     (device remove revokes them; it does not forget them in the dashboard). Reads
                     DASHBOARD_URL (default ${DEFAULT_DASHBOARD_URL}) and, when logins are on, DASHBOARD_TOKEN,
                     an API token of an operator or admin (npm run fleet -- token add NAME --role operator)`;

export type ForgetCommand = { kind: 'error'; error: string } | { kind: 'run'; ids: string[] };

/** `device forget ID…`; null for any other command. */
export function forgetArguments(argv: readonly string[]): ForgetCommand | null {
  const [noun, action, ...rest] = argv;
  if (noun !== 'device' || action !== 'forget') return null;
  const option = rest.find((arg) => arg.startsWith('-'));
  if (option !== undefined) {
    return {
      kind: 'error',
      error: `Option ${option} is not accepted by "device forget"; accepted: device ids only (the dashboard's address comes from DASHBOARD_URL).`,
    };
  }
  if (rest.length === 0) {
    return {
      kind: 'error',
      error: 'Command "device forget" received no device id; accepted: one id or more.',
    };
  }
  const bad = rest.find((id) => !isValidDeviceId(id));
  if (bad !== undefined) {
    return {
      kind: 'error',
      error: `Device id ${JSON.stringify(bad)} is not accepted; accepted: ${DEVICE_ID_ACCEPTED}.`,
    };
  }
  return { kind: 'run', ids: rest };
}

/** The dashboard's address from DASHBOARD_URL, or the sentence saying what is wrong with it. */
export function dashboardUrl(env: NodeJS.ProcessEnv): URL | string {
  const raw = env.DASHBOARD_URL?.trim() || DEFAULT_DASHBOARD_URL;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    return `Environment variable DASHBOARD_URL received ${JSON.stringify(raw)}; accepted: the dashboard's address, such as ${DEFAULT_DASHBOARD_URL} or https://dashboard.example.com.`;
  }
  return url;
}

/**
 * Forgets each device in the dashboard through its API; one line per device on `err`. Resolves with the exit
 * code: 0, or 1 when any failed.
 */
export async function runForgetCommand(
  ids: readonly string[],
  io: { stderr: Writable; env: NodeJS.ProcessEnv },
): Promise<number> {
  const url = dashboardUrl(io.env);
  if (typeof url === 'string') {
    io.stderr.write(`${url}\n`);
    return 1;
  }
  const token = io.env.DASHBOARD_TOKEN?.trim() || null;
  let failed = 0;
  for (const id of ids) {
    const target = new URL(
      `api/devices/${encodeURIComponent(id)}`,
      url.href.endsWith('/') ? url : `${url.href}/`,
    );
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'DELETE',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
      io.stderr.write(
        `The dashboard at ${url.origin} could not be reached (${cause}); set DASHBOARD_URL to its address.\n`,
      );
      return 1;
    }
    if (response.status === 204) {
      io.stderr.write(
        `Forgot ${id} in the dashboard at ${url.origin}: its readings, delivery figures and place in the list are removed; its commands stay in the trail.\n`,
      );
      continue;
    }
    failed += 1;
    const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
    const error = typeof body?.error === 'string' ? body.error : `The dashboard answered ${response.status}.`;
    const hint =
      response.status === 401 && !token
        ? ' Set DASHBOARD_TOKEN to an API token of an operator or admin (npm run fleet -- token add NAME --role operator).'
        : '';
    io.stderr.write(`${id}: ${error}${hint}\n`);
  }
  return failed > 0 ? 1 : 0;
}
