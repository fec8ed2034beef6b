import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('Could not read the port the OS gave on 127.0.0.1.')),
      );
    });
  });
}
const POSTGRES_ROOT = '/usr/lib/postgresql';
/** The unprivileged account the server runs as when the tests run as root (initdb refuses root). */
const SERVER_USER = 'postgres';

/** The newest installed PostgreSQL's bin folder (Debian's layout), or null when none is installed. */
export function postgresBin(): string | null {
  if (!existsSync(POSTGRES_ROOT)) return null;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(POSTGRES_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(POSTGRES_ROOT, versions[0], 'bin') : null;
}

/**
 * The TimescaleDB library of the newest installed PostgreSQL (its lib folder, Debian's layout), or null when it
 * is not installed. Debian has no package: here it is built from source (README, "PostgreSQL").
 */
export function timescaleLibrary(): string | null {
  const bin = postgresBin();
  if (!bin) return null;
  const library = join(bin, '..', 'lib', 'timescaledb.so');
  return existsSync(library) ? library : null;
}

/** Why the TimescaleDB half of a suite cannot run here; null when it can. */
export function timescaleMissing(): string | null {
  const missing = postgresMissing();
  if (missing) return missing;
  if (timescaleLibrary() === null) {
    return `TimescaleDB is not installed (no timescaledb.so beside ${postgresBin()}; Debian has no package, see README "PostgreSQL" for the build from source): the PostgreSQL + TimescaleDB half of this suite did not run`;
  }
  return null;
}

/** Why the PostgreSQL half of a suite cannot run here; null when it can. */
export function postgresMissing(): string | null {
  if (postgresBin() === null) {
    return `PostgreSQL is not installed (no ${POSTGRES_ROOT}/<version>/bin/initdb; Debian's package "postgresql" provides it, and .ci/run installs it): the PostgreSQL half of this suite did not run`;
  }
  return null;
}

export interface TestPostgres {
  /** postgres://user:password@127.0.0.1:port/postgres, the server's maintenance database. */
  adminUrl: string;
  port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown: its connections are ended), keeping its data, on the same port. */
  halt(): Promise<void>;
  /** Starts it again after `halt`. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

let databases = 0;

/**
 * For tests and benchmarks only (dashboard/test, bench), as cloud's startTestBroker: never used by the service.
 * Starts a throwaway PostgreSQL server: a cluster made by initdb in a temporary folder, listening on
 * 127.0.0.1 on a free port (its socket in the same folder), with a random password (scram-sha-256). As root it
 * runs as the `postgres` account (runuser), as initdb and postgres refuse root. fsync stays on. Where
 * TimescaleDB is installed the server preloads it; a database uses it only once `CREATE EXTENSION` ran there.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing() ?? 'PostgreSQL is not installed');
  const folder = mkdtempSync(join(tmpdir(), 'fleet-pg-'));
  const asRoot = process.getuid?.() === 0;
  const user = 'fleet';
  const password = randomBytes(12).toString('hex');
  const pwfile = join(folder, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    const { stdout } = await run('id', ['-u', SERVER_USER]);
    const { stdout: gid } = await run('id', ['-g', SERVER_USER]);
    chownSync(folder, Number(stdout.trim()), Number(gid.trim()));
    chownSync(pwfile, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', SERVER_USER, '--', command, ...args]) : run(command, args);
  const data = join(folder, 'data');
  await as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    user,
    '--pwfile',
    pwfile,
    '-A',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--no-instructions',
  ]);
  const port = await freeLoopbackPort();
  // TimescaleDB, where installed, is preloaded (it cannot be created otherwise); its telemetry to Timescale's
  // servers is off. Without it, the server is Debian's plain PostgreSQL.
  const timescale = timescaleLibrary()
    ? ' -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off'
    : '';
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${folder} -c max_connections=50${timescale}`;
  const start = () =>
    as(join(bin, 'pg_ctl'), ['-D', data, '-l', join(folder, 'server.log'), '-w', '-o', options, 'start']);
  const halt = () => as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  try {
    await start();
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  return {
    adminUrl,
    port,
    async createDatabase(name = `fleet_${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `${base}/${name}`;
    },
    async halt() {
      await halt();
    },
    async resume() {
      await start();
    },
    async stop() {
      try {
        await halt();
      } catch {
        // Already halted.
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}
