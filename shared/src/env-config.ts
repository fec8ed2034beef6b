import convict from 'convict';

/** One environment variable: how to read it, its default, and what it accepts, in words. */
export interface EnvVar<T> {
  env: string;
  doc: string;
  default: T;
  /** Completes "accepted: …" in the error sentence. */
  accepted: string;
  /** Turns the raw text into a value, or gives undefined when the text is not accepted. */
  parse: (raw: string) => T | undefined;
  /** Never printed: not in errors, not in the start-up log. */
  sensitive?: boolean;
  /** How the value reads in the start-up log, when not as it is (e.g. a certificate by its fingerprint). */
  describe?: (value: T) => unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a spec holds variables of every value type.
export type EnvSpec = Record<string, EnvVar<any>>;
export type EnvValues<S extends EnvSpec> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/** A bad environment variable: its message is the one line the service prints before it exits with 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the variables of `spec` from `env` with convict. An empty variable counts as unset (a balena
 * dashboard variable cleared to nothing means "use the default"). The first bad variable throws a
 * ConfigError that names it, the value received and what is accepted; nothing is half-loaded.
 */
/** convict's own types walk every key path; this narrow view is all the loader needs. */
type ConvictLoader = (
  schema: Record<string, convict.SchemaObj>,
  options: { env: Record<string, string | undefined>; args: string[] },
) => { validate(options: { allowed: 'strict' }): unknown; get(key: string): unknown };

export function loadEnvConfig<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv): EnvValues<S> {
  const setEnv = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  let firstError: string | undefined;
  const schema: Record<string, convict.SchemaObj> = {};
  for (const [key, variable] of Object.entries(spec)) {
    schema[key] = {
      doc: variable.doc,
      env: variable.env,
      // null, not the typed default: convict would otherwise coerce the text by the default's type
      // ("abc" to NaN) before our parser sees what the user typed.
      default: null,
      sensitive: variable.sensitive ?? false,
      format: (value: unknown) => {
        if (typeof value !== 'string' || variable.parse(value) !== undefined) return;
        const shown = variable.sensitive ? 'a value' : JSON.stringify(value);
        firstError ??= `Environment variable ${variable.env} received ${shown}; accepted: ${variable.accepted}.`;
        throw new Error(variable.accepted);
      },
    };
  }
  const config = (convict as unknown as ConvictLoader)(schema, { env: setEnv, args: [] });
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(firstError ?? (error as Error).message);
  }
  const values: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(spec)) {
    const raw = config.get(key);
    values[key] = typeof raw === 'string' ? variable.parse(raw) : variable.default;
  }
  return values as EnvValues<S>;
}

/** The settings in use, by variable name, for the start-up log; sensitive ones are masked. */
export function describeEnvConfig<S extends EnvSpec>(spec: S, values: EnvValues<S>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec).map(([key, variable]) => {
      const value = values[key as keyof S];
      if (variable.sensitive) return [variable.env, value ? '[set]' : value];
      return [variable.env, variable.describe ? variable.describe(value) : value];
    }),
  );
}

/** Parsers for the common kinds of variable. */
export const envParsers = {
  text: (raw: string): string | undefined => raw.trim() || undefined,
  integer:
    (min: number, max: number) =>
    (raw: string): number | undefined => {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    },
  number:
    (min: number, max: number) =>
    (raw: string): number | undefined => {
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim())) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    },
  oneOf:
    <T extends string>(values: readonly T[]) =>
    (raw: string): T | undefined =>
      values.find((value) => value === raw.trim().toLowerCase()),
  boolean: (raw: string): boolean | undefined => {
    const text = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    return undefined;
  },
  matching:
    (pattern: RegExp) =>
    (raw: string): string | undefined =>
      pattern.test(raw.trim()) ? raw.trim() : undefined,
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, the same in every service. */
export const logLevelVar: EnvVar<LogLevel> = {
  env: 'LOG_LEVEL',
  doc: 'Log level of the JSON log lines.',
  default: 'info',
  accepted: `one of ${LOG_LEVELS.join(', ')}`,
  parse: envParsers.oneOf(LOG_LEVELS),
};
