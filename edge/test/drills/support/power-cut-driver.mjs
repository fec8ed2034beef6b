#!/usr/bin/env node
/**
 * The power-cut drill's driver: the edge's real store code (edge/dist/storage, the modules the edge runs) in a
 * tight loop of what the edge writes, until it is SIGKILLed. Usage: node power-cut-driver.mjs DATA_DIR [drain]
 *
 * It loads its code, says `R`, and waits for a line on stdin before it opens the store (so the drill can load
 * the next driver while the current one runs). Each line on stdout is written after the fact it reports is
 * committed (stdout is a pipe: synchronous):
 *   R                                 loaded, waiting for the go
 *   E <epoch> <reason> <seqNext>      the store is open (the start of the run is written)
 *   C <epoch> <seq> <temperature>     a reading committed
 *   H <epoch> <seq> <temperature>     a reading the database refused, held in memory (the drill counts it)
 *   D <epoch|-> <seq> <temperature>   a reading delivered (written before its removal, as a PUBACK would come)
 *   S <k>                             command c-<k> (intervalle from k) committed with its ack
 *   O <version>                       the OTA status `succeeded` and the firmware <version>, in one write
 * With `drain`, it delivers everything queued, stops cleanly and exits 0.
 */
import { writeSync } from 'node:fs';
import { pino } from 'pino';

const [dataDir, mode] = process.argv.slice(2);
const { EdgeStore } = await import(new URL('../../../dist/storage/edge-store.js', import.meta.url).href);

/**
 * Writes a report line into the pipe before returning. process.stdout would not do: on Linux it writes to a
 * pipe at once only while the pipe has room; once the drill reads slowly (a loaded machine) the rest waits in
 * this process's memory, and a SIGKILL loses it, so the drill saw deliveries and commands it was never told
 * of as lost readings and unreported commands. fd 1 is written directly, waiting while the pipe is full.
 */
function out(line) {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}
const clock = { now: () => new Date(), monotonicMs: () => performance.now(), synced: () => true };
out('R');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const config = {
  dataDir,
  outboxMax: 1_000_000,
  firmwareVersion: 'v1.0.0',
  mode: 'auto',
  publishInterval: 5,
  alertThreshold: 30,
  tempOffset: 0,
  humidityOffset: 0,
  pressureOffset: 0,
  altitude: 0,
};
const store = await EdgeStore.open({ config, clock, logger: pino({ level: 'error' }, pino.destination(2)) });
out(`E ${store.epoch.epoch} ${store.epoch.reason} ${store.epoch.seqNext}`);

const intervalOf = (k) => (k % 60) + 1;
const versionOf = (k) => `v2.0.${k % 1000}`;

function build({ epoch, seq }) {
  return {
    v: 2,
    device_id: 'drill',
    timestamp: new Date().toISOString(),
    temperature: Math.round(Math.random() * 1e9),
    humidite: 50,
    pression: 1013,
    batterie: 90,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: 0,
    seq,
    source: 'synthetic',
    epoch,
    clock_synced: true,
  };
}

function deliver(count) {
  const items = store.outbox.peek(count);
  for (const item of items) out(`D ${item.epoch ?? '-'} ${item.seq} ${item.temperature}`);
  store.outbox.remove(items);
  return items.length;
}

if (mode === 'drain') {
  while (deliver(100) > 0);
  if (!store.close()) process.exit(3);
  process.exit(0);
}

// As a device of this release holds them: the calibration included (the start writes it, from the variables).
const settings = {
  mode: 'auto',
  intervalle: 5,
  seuil_alerte: 30,
  actif: true,
  correction_temperature: 0,
  correction_humidite: 0,
  correction_pression: 0,
  altitude: 0,
};
for (let step = 0; ; step++) {
  const r = Math.random();
  if (r < 0.55) {
    const held = store.outbox.held;
    const reading = store.takeReading(build);
    // A reading the database refused is held in memory: not committed, so not reported as such.
    out(`${store.outbox.held > held ? 'H' : 'C'} ${reading.epoch} ${reading.seq} ${reading.temperature}`);
  } else if (r < 0.75) {
    deliver(1 + Math.floor(Math.random() * 8));
  } else if (r < 0.95) {
    const k = step;
    const next = { ...settings, intervalle: intervalOf(k) };
    const ack = {
      v: 2,
      device_id: 'drill',
      command_id: `c-${store.epoch.epoch}-${k}`,
      status: 'applied',
      error: null,
      settings: next,
      firmware: 'v1.0.0',
      timestamp: new Date().toISOString(),
    };
    const withReading = Math.random() < 0.3;
    const reading = store.applyCommand(
      { settings: next, ...(withReading ? { reading: build } : {}) },
      { commandId: `c-${store.epoch.epoch}-${k}`, ack, receivedAt: new Date() },
    );
    if (reading) out(`C ${reading.epoch} ${reading.seq} ${reading.temperature}`);
    out(`S ${k}`);
  } else {
    const version = versionOf(step);
    store.saveOta(
      {
        state: 'succeeded',
        progress: 100,
        target_version: version,
        previous_version: 'v1.0.0',
        error: null,
        command_id: null,
        updated_at: new Date().toISOString(),
      },
      version,
    );
    out(`O ${version}`);
  }
}
