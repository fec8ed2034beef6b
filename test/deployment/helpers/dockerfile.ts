/** One instruction of a Dockerfile, with its continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (0 for the first FROM). */
  stage: number;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  if (pending !== '') logical.push(pending);

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = line.match(/^(\w+)\s+([\s\S]*)$/);
    if (!match) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const rest = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const from = rest.match(/^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i);
      const image = (from?.[1] ?? '').replace(/\$\{?(\w+)\}?/g, (_, name: string) => args[name] ?? '');
      stages.push({ image, name: from?.[2] ?? null, instructions: [] });
      continue;
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const arg = rest.match(/^(\w+)=(\S+)$/);
      if (arg?.[1] && arg[2]) args[arg[1]] = arg[2].replace(/^["']|["']$/g, '');
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push({ keyword, args: rest, stage: stages.length - 1 });
  }
  return { args, stages };
}

/** A COPY's `--from`, its sources and its destination (plain form, not the JSON one). */
export function parseCopy(args: string): { from: string | null; sources: string[]; destination: string } {
  const words = args.split(/\s+/).filter(Boolean);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() ?? '';
    const value = flag.match(/^--from=(.+)$/);
    if (value?.[1]) from = value[1];
  }
  const destination = words.pop() ?? '';
  return { from, sources: words, destination };
}

/** The JSON-array form of CMD or HEALTHCHECK CMD, or null when it is the shell form. */
export function execForm(text: string): string[] | null {
  const json = text.trim();
  if (!json.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
}

/** The command of `HEALTHCHECK [options] CMD [...]`. */
export function healthcheckCommand(args: string): string[] | null {
  const at = args.search(/\bCMD\b/);
  return at === -1 ? null : execForm(args.slice(at + 3));
}

/** A .dockerignore as a predicate on paths relative to the build context ("a/b/c"). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => {
          if (part === '**/') return '(?:.*/)?';
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.replace(/^\.\/|\/+$/g, '').split('/');
    // A path is left out when it, or a folder above it, matches: the last matching rule decides.
    let excluded = false;
    for (const rule of rules) {
      for (let depth = 1; depth <= parts.length; depth += 1) {
        if (rule.regex.test(parts.slice(0, depth).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}
