// What one simulated device's storage costs in memory: the edge's own (SQLite, here in memory, with its
// statements prepared and a first reading written) against the simulator's in-memory one. Numbers, not a
// test: node --expose-gc edge/bench/simulator-storage.mjs [--devices 1000] [--kind sqlite|memory]
// Each kind runs in a child process of its own, so the two do not share a heap.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '1000' }, kind: { type: 'string' } },
});
const devices = Number(values.devices);

if (!values.kind) {
  for (const kind of ['sqlite', 'memory']) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--devices', String(devices), '--kind', kind],
      { encoding: 'utf8' },
    );
    process.stdout.write(out);
  }
  process.exit(0);
}

const { createLogger } = await import('@fleet/shared');
const { Transactor, SqliteOutbox, StateStore, CommandMemory } = await load();
const { MemoryStorage } = await import('../dist/simulator/memory-storage.js');
const Database = (await import('better-sqlite3')).default;
const { applySchema } = await import('../dist/storage/schema.js');
const logger = createLogger('bench', 'silent');

async function load() {
  const edge = await import('../dist/index.js');
  const { Transactor } = await import('../dist/storage/transactor.js');
  const { CommandMemory } = await import('../dist/state/command-memory.js');
  return { Transactor, SqliteOutbox: edge.SqliteOutbox, StateStore: edge.StateStore, CommandMemory };
}

const build = ({ epoch, seq }) => ({
  v: 2,
  device_id: 'sim-00001',
  timestamp: new Date().toISOString(),
  temperature: 21.5,
  humidite: 50.1,
  pression: 1013.2,
  batterie: 99,
  mode: 'auto',
  firmware: 'v1.0.0',
  alerte: false,
  uptime: 1,
  seq,
  source: 'synthetic',
  epoch,
  clock_synced: true,
});

function open(kind) {
  if (kind === 'memory') {
    const storage = new MemoryStorage();
    storage.takeReading(build);
    return storage;
  }
  const db = new Database(':memory:');
  applySchema(db);
  const tx = new Transactor(db);
  const state = new StateStore(tx);
  const outbox = new SqliteOutbox({
    tx,
    logger,
    max: 1000,
    epoch: '0123456789abcdef',
    seqNext: 0,
    saveSeqNext: (seqNext) =>
      state.write({ epoch: '0123456789abcdef', epochReason: 'first_start', seqNext, cleanStop: false }),
  });
  outbox.open();
  const commands = new CommandMemory(tx);
  outbox.take(build);
  return { db, outbox, commands };
}

globalThis.gc();
const before = process.memoryUsage();
const started = performance.now();
const kept = [];
for (let n = 0; n < devices; n += 1) kept.push(open(values.kind));
const ms = performance.now() - started;
globalThis.gc();
const after = process.memoryUsage();
const perDevice = (field) => ((after[field] - before[field]) / devices / 1024).toFixed(1);
console.log(
  `${values.kind.padEnd(6)} ${devices} devices: RSS +${perDevice('rss')} KiB, heap +${perDevice('heapUsed')} KiB, external +${perDevice('external')} KiB per device; opened in ${(ms / devices).toFixed(3)} ms each (${kept.length} kept)`,
);
