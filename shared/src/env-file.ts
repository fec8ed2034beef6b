/**
 * Env files: `NAME=value` lines, what `npm run fleet -- device add` prints and what the broker writes for
 * its dashboard. Blank lines and lines starting with `#` are ignored. There is no quoting: a value runs to
 * the end of its line, so every value the project writes is one line without spaces (a CA certificate is
 * written in base64). The same text works as a shell file (`set -a; . ./lab-7.env`) and as a balena
 * variable list.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
    if (/[\r\n]/.test(value)) throw new EnvFileError(`Variable ${name} has a line break, which env files cannot hold.`);
    lines.push(`${name}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

function shorten(line: string): string {
  // A line may hold a secret: show its start only.
  return line.length > 12 ? `${line.slice(0, 12)}…` : line;
}
