import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../src/config.js';
import { EDGE_DB_FILE } from '../../src/storage/edge-database.js';
import { EdgeStore } from '../../src/storage/edge-store.js';
import { ManualDeviceClock } from '../clock/manual-device-clock.js';
import { readPersisted } from '../device/harness.js';
import { reading } from '../outbox/telemetry-fixture.js';
import { captureLogger, LEVEL } from './capture-logger.js';

let dir: string;
const clock = new ManualDeviceClock('2026-12-01T12:00:00.000Z');
const stores: EdgeStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-store-'));
});
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(env: NodeJS.ProcessEnv = {}, dataDir = dir) {
  const log = captureLogger();
  const config = { ...loadEdgeConfig(env, 'pi-test', '/tmp'), dataDir };
  const store = await EdgeStore.open({ config, clock, logger: log.logger });
  stores.push(store);
  return { store, ...log };
}

/** Ends a run as a power cut does: the database is closed without the clean stop. */
function cut(store: EdgeStore): void {
  stores.splice(stores.indexOf(store), 1);
  store.tx.db.close();
}

function stop(store: EdgeStore): void {
  stores.splice(stores.indexOf(store), 1);
  expect(store.close()).toBe(true);
}

const build = ({ epoch, seq }: { epoch: string; seq: number }): Telemetry => ({ ...reading(seq), epoch });

describe('EdgeStore start: the epoch', () => {
  it('a first start begins an epoch (first_start), seq from 0, and writes "not stopped cleanly" before any reading', async () => {
    const { store, at } = await open();
    expect(store.epoch).toMatchObject({ reason: 'first_start', seqNext: 0, continued: false });
    expect(store.epoch.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(store.condition).toBe('new');
    expect(readPersisted(dir)).toMatchObject({
      epoch: store.epoch.epoch,
      epochReason: 'first_start',
      seqNext: 0,
      cleanStop: false,
    });
    expect(at(LEVEL.info).map((line) => line.msg)).toContain(
      `New epoch ${store.epoch.epoch} (first_start): no state was found (a first start, or a DATA_DIR that was emptied); seq starts at 0.`,
    );
  });

  it('a clean stop continues the epoch and its seq, without a gap', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) first.store.takeReading(build);
    stop(first.store);
    const { store, at } = await open();
    expect(store.epoch).toMatchObject({
      epoch: first.store.epoch.epoch,
      reason: 'first_start',
      seqNext: 3,
      continued: true,
    });
    expect(store.takeReading(build).seq).toBe(3);
    expect(at(LEVEL.info).map((line) => line.msg)).toContain(
      `Epoch ${first.store.epoch.epoch} continues at seq 3 (the last run stopped cleanly).`,
    );
  });

  it('an unclean stop begins a new epoch (unclean_stop, a warning); what was queued keeps its identity and goes first', async () => {
    const first = await open();
    for (let i = 0; i < 2; i++) first.store.takeReading(build);
    cut(first.store);
    const { store, at } = await open();
    expect(store.epoch).toMatchObject({ reason: 'unclean_stop', seqNext: 0, continued: false });
    expect(store.epoch.epoch).not.toBe(first.store.epoch.epoch);
    store.takeReading(build);
    expect(store.outbox.peek(10).map((t) => [t.epoch, t.seq])).toEqual([
      [first.store.epoch.epoch, 0],
      [first.store.epoch.epoch, 1],
      [store.epoch.epoch, 0],
    ]);
    expect(at(LEVEL.warn).map((line) => line.msg)).toContain(
      `New epoch ${store.epoch.epoch} (unclean_stop): the last run did not stop cleanly (a power cut, a kill); seq starts at 0.`,
    );
  });

  it('a state of the wrong form begins a new epoch (state_lost) from the environment', async () => {
    stop((await open()).store);
    const db = new Database(join(dir, EDGE_DB_FILE));
    db.prepare("UPDATE state SET value = '\"bogus\"' WHERE key = 'settings'").run();
    db.close();
    const { store, at } = await open({ PUBLISH_INTERVAL: '9' });
    expect(store.epoch.reason).toBe('state_lost');
    expect(store.startup.settings.intervalle).toBe(9);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(
      /The state in .* is not valid \(field "settings": .*\); starting from the environment, with a new epoch\./,
    );
  });
});

describe('EdgeStore start: a damaged or unusable database never stops the edge', () => {
  it('a start that cannot write (the database locked by another process) does not continue the epoch: a new one, readings held in memory until writes pass', async () => {
    const first = await open();
    first.store.takeReading(build);
    stop(first.store);
    const blocker = new Database(join(dir, EDGE_DB_FILE));
    blocker.exec('BEGIN EXCLUSIVE');
    const { store, at } = await open();
    expect(store.epoch).toMatchObject({ reason: 'state_lost', seqNext: 0, continued: false });
    expect(store.epoch.epoch).not.toBe(first.store.epoch.epoch);
    expect(at(LEVEL.error)[0]?.msg).toMatch(
      new RegExp(
        `^The start of this run could not be written \\(.*locked.*\\): epoch ${store.epoch.epoch} \\(state_lost\\) is used`,
      ),
    );
    blocker.exec('COMMIT');
    blocker.close();
    expect(store.takeReading(build)).toMatchObject({ epoch: store.epoch.epoch, seq: 0 });
    expect(readPersisted(dir)).toMatchObject({
      epoch: store.epoch.epoch,
      epochReason: 'state_lost',
      seqNext: 1,
      cleanStop: false,
    });
  });

  const movedAside = () => readdirSync(dir).filter((name) => name.startsWith(`${EDGE_DB_FILE}.corrupt-`));

  it('a file that is not a database is moved aside, and a new epoch begins (state_lost)', async () => {
    writeFileSync(join(dir, EDGE_DB_FILE), 'this is not SQLite'.repeat(500));
    const { store, at } = await open();
    expect(store.condition).toBe('replaced');
    expect(store.epoch.reason).toBe('state_lost');
    expect(movedAside()).toEqual(['edge.db.corrupt-2026-12-01T12-00-00-000Z']);
    expect(at(LEVEL.error)[0]?.msg).toMatch(
      /could not be used \(the database is damaged .*\); moved it aside to .*edge\.db\.corrupt-2026-12-01T12-00-00-000Z and started a new database/,
    );
    expect(store.takeReading(build).seq).toBe(0);
  });

  it('a database with a damaged page fails quick_check and is moved aside with its WAL', async () => {
    const first = await open();
    first.store.tx.run(() => {
      for (let i = 0; i < 2000; i++) first.store.takeReading(build);
    });
    stop(first.store);
    const pageSize = 4096;
    const fd = openSync(join(dir, EDGE_DB_FILE), 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, pageSize * 40);
    closeSync(fd);
    const { store, at } = await open();
    expect(store.condition).toBe('replaced');
    expect(store.epoch.reason).toBe('state_lost');
    expect(String(at(LEVEL.error)[0]?.problem)).toMatch(/^the database is damaged \(SQLITE_CORRUPT/);
    expect(movedAside()).toHaveLength(1);
  });

  it('a database of a newer firmware is moved aside, not misread', async () => {
    stop((await open()).store);
    const db = new Database(join(dir, EDGE_DB_FILE));
    db.pragma('user_version = 99');
    db.close();
    const { store } = await open();
    expect(store.condition).toBe('replaced');
    expect(movedAside()).toHaveLength(1);
  });

  it('a DATA_DIR that cannot hold a database runs on one in memory, and says so', async () => {
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the folder should be');
    const { store, at } = await open({}, blocked);
    expect(store.condition).toBe('memory');
    expect(store.epoch.reason).toBe('state_lost');
    expect(store.takeReading(build).seq).toBe(0);
    expect(store.outbox.size).toBe(1);
    expect(at(LEVEL.error)[0]?.msg).toMatch(
      /cannot be opened or created .*; running on an in-memory database/,
    );
  });
});

describe('EdgeStore start: the previous release (contract 1)', () => {
  const legacyState = {
    format: 1,
    firmware: 'v1.2.0',
    settings: { mode: 'economie', intervalle: 12, seuil_alerte: 27.5, actif: true },
    envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
    seqNext: 5000,
    ota: {
      state: 'succeeded',
      progress: 100,
      target_version: 'v1.2.0',
      previous_version: 'v1.0.0',
      error: null,
      command_id: 'c-ota',
      updated_at: '2026-11-30T10:00:00.000Z',
    },
  };
  /** The previous release's outbox: readings, a removal line, and a last line torn by a power cut. */
  const legacyOutbox = [
    JSON.stringify(reading(4001)),
    JSON.stringify(reading(4002)),
    JSON.stringify({ removed: [4001] }),
    JSON.stringify(reading(4003)),
    '{"device_id":"pi-test","seq":40',
  ].join('\n');

  function writeLegacy(state: unknown = legacyState, outbox = legacyOutbox) {
    writeFileSync(
      join(dir, 'device-state.json'),
      typeof state === 'string' ? state : JSON.stringify(state, null, 2),
    );
    writeFileSync(join(dir, 'outbox.jsonl'), outbox);
  }

  it('imports the state and the queued readings (delivered first, as they were), removes the files; epoch reason upgrade', async () => {
    writeLegacy();
    writeFileSync(join(dir, 'device-state.json.tmp-a1b2c3'), '{"half');
    writeFileSync(join(dir, 'outbox.jsonl.tmp-d4e5f6'), '');
    const { store, at } = await open();
    expect(store.epoch.reason).toBe('upgrade');
    expect(store.startup).toMatchObject({
      firmware: 'v1.2.0',
      settings: legacyState.settings,
      ota: legacyState.ota,
    });
    store.takeReading(build);
    const queued = store.outbox.peek(10);
    expect(queued.slice(0, 2)).toEqual([reading(4002), reading(4003)]);
    expect(queued[2]).toMatchObject({ epoch: store.epoch.epoch, seq: 0 });
    expect(readdirSync(dir).sort()).toEqual(['edge.db', 'edge.db-shm', 'edge.db-wal']);
    const messages = [...at(LEVEL.info), ...at(LEVEL.warn)].map((line) => line.msg);
    expect(messages).toContain('Removed 2 unfinished write(s) left by the previous release.');
    expect(messages).toContain(
      "Imported the previous release's state and 2 queued reading(s) (delivered first, without epoch, as that release wrote them); removed its files.",
    );
    expect(messages).toContain(
      "The previous release's outbox had 1 unreadable line(s) (skipped) and 0 reading(s) beyond OUTBOX_MAX (the oldest, left out).",
    );
    // The next start is an ordinary one.
    stop(store);
    const again = await open();
    expect(again.store.epoch).toMatchObject({ reason: 'upgrade', continued: true, seqNext: 1 });
    expect(again.store.outbox.size).toBe(3);
  });

  it('a state file that does not parse: state_lost from the environment, the readings still imported', async () => {
    writeLegacy('{"format":1,"firmware":');
    const { store, at } = await open({ MODE: 'manuel' });
    expect(store.epoch.reason).toBe('state_lost');
    expect(store.startup.settings.mode).toBe('manuel');
    expect(store.outbox.size).toBe(2);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(
      /The previous release's device-state\.json is not usable \(it is not valid JSON\); moved it aside to .*device-state\.json\.corrupt-.* and went on without it\./,
    );
    expect(existsSync(join(dir, 'device-state.json'))).toBe(false);
  });

  it('a huge outbox is read line by line and only the newest OUTBOX_MAX readings are kept', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify(reading(i))).join('\n');
    writeLegacy(legacyState, `${lines}\n`);
    const { store } = await open({ OUTBOX_MAX: '100' });
    const queued = store.outbox.peek(1000);
    expect(queued).toHaveLength(100);
    expect(queued[0]?.seq).toBe(150);
    expect(queued.at(-1)?.seq).toBe(249);
  });

  it('an outbox that cannot be read is moved aside and the edge goes on', async () => {
    writeFileSync(join(dir, 'device-state.json'), JSON.stringify(legacyState));
    mkdirSync(join(dir, 'outbox.jsonl'));
    const { store, at } = await open();
    expect(store.epoch.reason).toBe('upgrade');
    expect(store.outbox.size).toBe(0);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(
      /The previous release's outbox\.jsonl is not usable \(it cannot be read .*\); moved it aside/,
    );
  });
});
