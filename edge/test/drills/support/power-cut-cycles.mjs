/**
 * The power-cut drill: runs power-cut-driver.mjs (the edge's real store code in a tight loop of writes) and
 * SIGKILLs it at random moments, `cycles` times, then once more to deliver everything and stop cleanly. After
 * every kill it opens the database as the next start would and checks what a power cut must never break:
 *
 * - the database opens and passes `PRAGMA quick_check`, and the state parses;
 * - no reading that was committed (reported by the driver) is lost: it is in the outbox or was delivered;
 * - an identity (epoch, seq) never comes with two different readings;
 * - a command's settings and its remembered ack are one write (the newest ack holds the settings on disk), and a
 *   reported command is never rolled back; the firmware and the OTA status `succeeded` are one write;
 * - every start after one that was recorded says `unclean_stop`, and an epoch is never used twice;
 * - at the end, everything committed has been delivered, and per epoch the seqs are 0..max without a hole.
 *
 * Used by edge/test/drills/power-cut.test.ts (200 cycles) and edge/bench/power-cut-drill.mjs (more).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const DRIVER = new URL('./power-cut-driver.mjs', import.meta.url).pathname;
const dist = (path) => new URL(`../../../dist/${path}`, import.meta.url).href;

const keyOf = (epoch, seq) => `${epoch}:${seq}`;
const stepOfVersion = (version) => {
  const [, , minor, patch] = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version) ?? [];
  return Number(minor) * 1000 + Number(patch);
};

/**
 * Starts a driver, which loads its code and waits. `run()` lets it go and resolves with what it reported once
 * it ends: killed `killAfterMs` after the go (or after its E line, with `fromReady`), or at its own end.
 */
function loadDriver(dataDir, drain = false) {
  const child = spawn(process.execPath, [DRIVER, dataDir, ...(drain ? ['drain'] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  let stderr = '';
  let onText = () => undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    text += chunk;
    onText();
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ended = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const loaded = new Promise((resolve) => {
    onText = () => {
      if (text.startsWith('R\n')) resolve();
    };
  });
  const run = async (options = {}) => {
    await Promise.race([loaded, ended]);
    let timer = null;
    const kill = () => child.kill('SIGKILL');
    if (options.killAfterMs !== undefined && options.fromReady) {
      onText = () => {
        if (timer === null && /\nE /.test(text)) timer = setTimeout(kill, options.killAfterMs);
      };
    } else if (options.killAfterMs !== undefined) {
      timer = setTimeout(kill, options.killAfterMs);
    }
    child.stdin.end('go\n');
    const { code, signal } = await ended;
    clearTimeout(timer);
    // The R line is no report; a last line cut by the kill is none either.
    const lines = text.split('\n').slice(1);
    lines.pop();
    return { lines, code, signal, stderr };
  };
  return { run, kill: () => child.kill('SIGKILL') };
}

export async function runPowerCutCycles({ dataDir, cycles, maxKillMs = 60, startKillShare = 0.15, onCycle }) {
  const { StateStore } = await import(dist('state/device-state.js'));
  const { Transactor } = await import(dist('storage/transactor.js'));
  const dbPath = join(dataDir, 'edge.db');
  const bodies = new Map();
  const committed = new Set();
  const delivered = new Set();
  const epochs = new Set();
  const problems = [];
  let started = false;
  const stats = {
    cycles: 0,
    killedDuringStart: 0,
    startsCut: 0,
    committed: 0,
    delivered: 0,
    commands: 0,
    ota: 0,
  };

  const see = (epoch, seq, temperature, where) => {
    const key = keyOf(epoch, seq);
    const known = bodies.get(key);
    if (known !== undefined && known !== temperature) {
      problems.push(
        `${where}: (${epoch}, ${seq}) came with two different readings (${known}, ${temperature})`,
      );
    }
    bodies.set(key, temperature);
    return key;
  };

  const absorb = (lines, cycle) => {
    const last = { s: null, o: null, epoch: null };
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'E') {
        if (epochs.has(a)) problems.push(`cycle ${cycle}: epoch ${a} began a second time`);
        epochs.add(a);
        if (started && b !== 'unclean_stop') problems.push(`cycle ${cycle}: a start after a kill said ${b}`);
        if (b !== 'first_start' && b !== 'unclean_stop') problems.push(`cycle ${cycle}: start reason ${b}`);
        if (c !== '0') problems.push(`cycle ${cycle}: a new epoch starting at seq ${c}`);
        started = true;
        last.epoch = a;
      } else if (kind === 'C') {
        committed.add(see(a, Number(b), c, `cycle ${cycle}`));
        stats.committed += 1;
      } else if (kind === 'H') {
        see(a, Number(b), c, `cycle ${cycle}`);
        stats.held += 1;
      } else if (kind === 'D') {
        delivered.add(see(a, Number(b), c, `cycle ${cycle}`));
        stats.delivered += 1;
      } else if (kind === 'S') {
        last.s = `c-${last.epoch}-${a}`;
        stats.commands += 1;
      } else if (kind === 'O') {
        last.o = b ?? a;
        stats.ota += 1;
      } else {
        problems.push(`cycle ${cycle}: a line the driver does not write: ${JSON.stringify(line)}`);
      }
    }
    return last;
  };

  /** Opens the database as the next start would (a connection of its own) and checks it. */
  const inspect = (cycle, last) => {
    if (!existsSync(dbPath)) {
      if (started) problems.push(`cycle ${cycle}: the database is gone`);
      return;
    }
    const db = new Database(dbPath);
    try {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') problems.push(`cycle ${cycle}: quick_check said ${check}`);
      if (db.pragma('user_version', { simple: true }) === 0) {
        // Killed before the first start created the tables: nothing to check yet.
        if (started) problems.push(`cycle ${cycle}: the database has lost its tables`);
        return;
      }
      const rows = db.prepare('SELECT epoch, seq, body FROM outbox ORDER BY id').all();
      const queued = new Set();
      for (const row of rows) {
        const body = JSON.parse(row.body);
        queued.add(see(row.epoch, row.seq, String(body.temperature), `cycle ${cycle} (on disk)`));
      }
      for (const key of committed) {
        if (!queued.has(key) && !delivered.has(key))
          problems.push(`cycle ${cycle}: committed reading ${key} is lost`);
      }
      const { state, problem } = new StateStore(new Transactor(db)).load();
      if (!state) {
        // Killed before the first start was written: nothing to check yet.
        if (started || problem) problems.push(`cycle ${cycle}: the state does not parse (${problem})`);
        return;
      }
      const newest = db.prepare('SELECT command_id, ack FROM command_acks ORDER BY id DESC LIMIT 1').get();
      if (newest) {
        const ack = JSON.parse(newest.ack);
        if (JSON.stringify(ack.settings) !== JSON.stringify(state.settings)) {
          problems.push(
            `cycle ${cycle}: settings on disk ${JSON.stringify(state.settings)} are not those of the newest ack`,
          );
        }
      }
      if (last.s) {
        const reported = db.prepare('SELECT id FROM command_acks WHERE command_id = ?').get(last.s);
        const newestId = db.prepare('SELECT max(id) AS id FROM command_acks').get().id;
        if (!reported) problems.push(`cycle ${cycle}: command ${last.s} was committed and is not remembered`);
        else if (newestId - reported.id > 1)
          problems.push(`cycle ${cycle}: more than one command after ${last.s}`);
      }
      if (state.ota?.state === 'succeeded' && state.firmware !== state.ota.target_version) {
        problems.push(
          `cycle ${cycle}: OTA succeeded for ${state.ota.target_version} but firmware is ${state.firmware}`,
        );
      }
      if (last.o && state.ota && stepOfVersion(state.firmware) < stepOfVersion(last.o)) {
        problems.push(`cycle ${cycle}: firmware ${last.o} was committed, ${state.firmware} is on disk`);
      }
    } finally {
      db.close();
    }
  };

  // The next driver loads its code while the current one runs: a cycle costs one load, not a load and a run.
  let next = loadDriver(dataDir, cycles === 0);
  let nextDrains = cycles === 0;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const duringStart = Math.random() < startKillShare;
    const current = next;
    const running = current.run({
      // The start (open, quick_check, the first write) takes a few milliseconds once the code is loaded.
      killAfterMs: duringStart ? Math.random() * 10 : Math.floor(Math.random() * maxKillMs),
      fromReady: !duringStart,
    });
    next = loadDriver(dataDir, cycle === cycles);
    nextDrains = cycle === cycles;
    const run = await running;
    if (run.signal !== 'SIGKILL') {
      problems.push(`cycle ${cycle}: the driver ended by itself (${run.code}): ${run.stderr.slice(0, 500)}`);
    }
    if (duringStart) stats.killedDuringStart += 1;
    if (!run.lines.some((line) => line.startsWith('E '))) stats.startsCut += 1;
    const last = absorb(run.lines, cycle);
    if (run.stderr.trim() !== '')
      problems.push(`cycle ${cycle}: the driver said ${run.stderr.trim().slice(0, 500)}`);
    inspect(cycle, last);
    stats.cycles = cycle;
    onCycle?.(cycle, stats, problems);
    if (problems.length > 20) break;
  }

  if (!nextDrains) {
    // Stopped early: the loaded driver would write, not drain.
    next.kill();
    next = loadDriver(dataDir, true);
  }
  const final = await next.run();
  if (final.code !== 0)
    problems.push(`the final clean run failed (${final.code}): ${final.stderr.slice(0, 500)}`);
  absorb(final.lines, 'final');
  for (const key of committed) {
    if (!delivered.has(key)) problems.push(`committed reading ${key} was never delivered`);
  }
  const byEpoch = new Map();
  for (const key of delivered) {
    const [epoch, seq] = key.split(':');
    byEpoch.set(epoch, [...(byEpoch.get(epoch) ?? []), Number(seq)]);
  }
  for (const [epoch, seqs] of byEpoch) {
    seqs.sort((a, b) => a - b);
    const holes = seqs.filter((seq, i) => seq !== i);
    if (holes.length > 0)
      problems.push(`epoch ${epoch}: delivered seqs are not 0..${seqs.length - 1} (first off: ${holes[0]})`);
  }
  return { stats: { ...stats, epochs: epochs.size, deliveredDistinct: delivered.size }, problems };
}
