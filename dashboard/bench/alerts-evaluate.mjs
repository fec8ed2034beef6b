#!/usr/bin/env node
/**
 * What the alert rules cost the ingest: the AlertEngine on the fleet's events as the ingest emits them after
 * each committed group: a `telemetry` event per reading, then a `device` event per changed device (here a
 * group of one reading per device: the reading is the device's latest, looked at with the `device` event).
 * A first pass emits the `device` events alone, for comparison. A fleet of --devices devices, each event a
 * new reading of one device; the temperatures stay between the frost and high limits (no transition: the
 * steady state, no write), then a second pass where every --flip-th event crosses the high threshold and
 * back (an incident opened or resolved, each one transaction on a database on disk, WAL, synchronous=FULL;
 * no channel set).
 *
 *   npm run build && node dashboard/bench/alerts-evaluate.mjs [--devices 20000] [--events 1000000] [--flip 1000]
 *
 * Prints the time per event of each pass and the machine's load average (numbers taken while other work
 * runs are indicative only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DashboardEvents, TelemetryStore } from '@fleet/dashboard';
import { systemClock } from '@fleet/shared';
import { pino } from 'pino';
import { AlertStore } from '../dist/alerts/alert-store.js';
import { Alerts } from '../dist/alerts/alerts.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    events: { type: 'string', default: '1000000' },
    flip: { type: 'string', default: '1000' },
  },
});
const DEVICES = Number(values.devices);
const EVENTS = Number(values.events);
const FLIP = Number(values.flip);
const logger = pino({ level: 'silent' });

const dir = await mkdtemp(join(tmpdir(), 'alerts-bench-'));
const store = new TelemetryStore({ path: join(dir, 'dashboard.sqlite'), logger });
store.open();
const events = new DashboardEvents();
const summaries = Array.from({ length: DEVICES }, (_, i) => summary(`dev-${i}`, 21));
const byId = new Map(summaries.map((s) => [s.device_id, s]));
/** Each reading a millisecond after the one before: a reading not newer than the last looked at is skipped. */
const T0 = Date.now();
const fleet = {
  summaries: () => summaries,
  summary: (id) => byId.get(id) ?? null,
};
const alerts = new Alerts({
  store: new AlertStore(store.database),
  events,
  fleet,
  clock: systemClock,
  logger,
  tickMs: 3_600_000,
});
await alerts.start();

function summary(id, temperature) {
  return {
    device_id: id,
    online: true,
    last_seen: new Date().toISOString(),
    firmware: 'v1.0.0',
    settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
    ota: null,
    sensor: null,
    alerte: false,
    latest: {
      device_id: id,
      timestamp: new Date().toISOString(),
      temperature,
      humidite: 50,
      pression: 1013,
      batterie: 90,
      mode: 'auto',
      firmware: 'v1.0.0',
      alerte: false,
      uptime: 1,
      seq: 0,
      source: 'synthetic',
      received_at: new Date().toISOString(),
      trusted_at: new Date().toISOString(),
    },
    delivery: { received: 1, lost: 0, conflicts: 0 },
    epoch: null,
    epoch_reason: null,
    clock_synced: null,
  };
}

function pass(flip, telemetry = true) {
  let transitions = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const base = summaries[i % DEVICES];
    let temperature = 20 + (i % 7) * 0.5;
    if (flip && i % flip === 0) {
      temperature = (i / flip) % 2 === 0 ? 35 : 20;
      transitions += 1;
    }
    base.latest = { ...base.latest, temperature, seq: i, trusted_at: new Date(T0 + i).toISOString() };
    if (telemetry) events.emit('telemetry', base.latest);
    events.emit('device', base);
  }
  const ns = Number(process.hrtime.bigint() - started);
  return { nsPerEvent: ns / EVENTS, seconds: ns / 1e9, transitions };
}

const before = loadavg();
pass(0); // warm-up
const deviceOnly = pass(0, false);
const steady = pass(0);
const flipping = pass(FLIP);
const after = loadavg();
console.log(`devices ${DEVICES}, events ${EVENTS} per pass`);
console.log(
  `device events alone (as before each reading was looked at), steady: ${deviceOnly.nsPerEvent.toFixed(0)} ns per reading`,
);
console.log(
  `steady (no transition): ${steady.nsPerEvent.toFixed(0)} ns per reading (telemetry and device event) (${(1e9 / steady.nsPerEvent / 1e6).toFixed(2)} M events/s)`,
);
console.log(
  `with a crossing every ${FLIP} events (${flipping.transitions} readings crossing, incidents opened or resolved on disk): ${flipping.nsPerEvent.toFixed(0)} ns per reading`,
);
console.log(`open incidents at the end: ${JSON.stringify(alerts.engine.openCounts())}`);
console.log(
  `load average before ${before.map((l) => l.toFixed(2)).join(' ')}, after ${after.map((l) => l.toFixed(2)).join(' ')}`,
);
await alerts.stop();
store.close();
await rm(dir, { recursive: true, force: true });
