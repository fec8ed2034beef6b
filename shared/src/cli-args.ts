/**
 * One sentence for an error of node:util's parseArgs, naming the option or argument and what is accepted
 * (its own messages name the option but not what would do). `options` are the names without dashes.
 */
export function describeArgsError(error: Error, options: readonly string[]): string {
  const unknown = error.message.match(/Unknown option '([^']+)'/);
  if (unknown) {
    return `Option ${unknown[1]} is not accepted; accepted options: ${options.map((name) => `--${name}`).join(', ')}.`;
  }
  const positional = error.message.match(/Unexpected argument '([^']+)'/);
  if (positional) {
    return `Argument ${JSON.stringify(positional[1])} is not accepted; accepted: options only (see --help).`;
  }
  const missing = error.message.match(/Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/);
  if (missing) return `Option ${missing[1]} received nothing; accepted: a value after it (see --help).`;
  return `${error.message.replace(/\.?$/, '')}; see --help.`;
}
