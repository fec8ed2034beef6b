/**
 * Env files: `NAME=value` lines, what `npm run fleet -- device add` prints and what the broker writes for
 * its dashboard. Blank lines and lines starting with `#` are ignored. There is no quoting: a value runs to
 * the end of its line, so every value the project writes is one line without spaces (a CA certificate is
 * written in base64). The same text works as a shell file (`set -a; . ./lab-7.env`) and as a balena
 * variable list.
 */

import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EnvVar, envParsers } from './env-config.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ENV_FILE: variables from a file, under those of the environment. */
export const envFileVar: EnvVar<string | null> = {
  env: 'ENV_FILE',
  doc: 'A file of NAME=value lines read as variables of this service; a variable set in the environment wins over the file. The compose files point the dashboard at the one its broker writes (/broker/dashboard.env). The service waits for the file while it does not exist.',
  default: null,
  accepted: 'a file path',
  parse: envParsers.text,
};

export interface EnvFileWait {
  /** Called once when the file is missing at first, and then about once a minute while it stays missing. */
  onWaiting: (path: string) => void;
  /** Polling period; default 500 ms. */
  pollMs?: number;
}

/**
 * The environment with the variables of ENV_FILE under it (the environment wins). While the file does not
 * exist the start-up waits for it: the broker service writes its dashboard's file when it starts, and the
 * two containers start together. A file that exists but is not NAME=value lines is an EnvFileError.
 */
export async function environmentWithFile(
  env: NodeJS.ProcessEnv,
  wait: EnvFileWait,
): Promise<NodeJS.ProcessEnv> {
  const path = envFileVar.parse(env.ENV_FILE ?? '') ?? null;
  if (path === null) return env;
  const pollMs = wait.pollMs ?? 500;
  let waitedMs = 0;
  let reportedAtMs: number | null = null;
  for (;;) {
    try {
      const text = await readFile(path, 'utf8');
      const fromFile = parseEnvFile(text, path);
      const set = Object.fromEntries(
        Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
      );
      return { ...fromFile, ...set };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (error instanceof EnvFileError) throw error;
        throw new EnvFileError(
          `ENV_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
        );
      }
    }
    if (reportedAtMs === null || waitedMs - reportedAtMs >= 60_000) {
      reportedAtMs = waitedMs;
      wait.onWaiting(path);
    }
    await sleep(pollMs);
    waitedMs += pollMs;
  }
}

/** An env file that cannot be read as NAME=value lines; the message names the file, the line and the rule. */
export class EnvFileError extends Error {
  override name = 'EnvFileError';
}

/** The variables of an env file. `source` names it in errors (a path, or "standard input"). */
export function parseEnvFile(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const name = equals > 0 ? line.slice(0, equals).trim() : '';
    if (!NAME.test(name)) {
      throw new EnvFileError(
        `Line ${index + 1} of ${source} received ${JSON.stringify(shorten(line))}; accepted: NAME=value, a comment starting with "#", or an empty line.`,
      );
    }
    values[name] = line.slice(equals + 1).trim();
  }
  return values;
}

/** NAME=value lines, in the given order, ending with a newline; a value with a line break is refused. */
export function formatEnvFile(variables: Record<string, string>, comments: string[] = []): string {
  const lines = comments.map((comment) => `# ${comment}`);
  for (const [name, value] of Object.entries(variables)) {
    if (!NAME.test(name)) throw new EnvFileError(`Variable name ${JSON.stringify(name)} is not accepted.`);
    if (/[\r\n]/.test(value))
      throw new EnvFileError(`Variable ${name} has a line break, which env files cannot hold.`);
    lines.push(`${name}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

function shorten(line: string): string {
  // A line may hold a secret: show its start only.
  return line.length > 12 ? `${line.slice(0, 12)}…` : line;
}
