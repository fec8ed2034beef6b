/**
 * What the route schemas cost a large history answer: GET /api/devices/:id/history?limit=10000 over 10 000
 * raw readings, on the main thread (no history worker, so Fastify serialises the object), through inject;
 * then the serialisation alone, three ways: JSON.stringify (what the routes do: response schemas document
 * only), zod checking the answer first (fastify-type-provider-zod's serializerCompiler) and
 * fast-json-stringify on the schema's JSON Schema (Fastify's own way with a JSON-schema response). Prints
 * p50 and p95 in ms; nothing is asserted. Build first (`npx tsc -b`), then:
 *
 *   node dashboard/bench/history-json.mjs [--runs 40]
 *
 * Run on a release before the route schemas, it measures the route alone (the comparison is skipped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDashboard, MqttBrokerConnection, newRecord, TelemetryStore } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { pino } from 'pino';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const RUNS = Number(values.runs);
const READINGS = 10_000;
const DEVICE = 'bench-json';
const logger = pino({ level: 'silent' });

const INSERT = `
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < @last)
INSERT INTO telemetry (device_id, epoch, seq, trusted_at, received_at, timestamp, v, clock_synced, temperature,
  humidite, pression, batterie, mode, firmware, alerte, uptime, source)
SELECT @device, 'json', i, @start + i * 1000, @start + i * 1000,
  strftime('%Y-%m-%dT%H:%M:%fZ', (@start + i * 1000) / 1000.0, 'unixepoch'), 2, 1,
  20 + (i % 100) / 10.0, 45 + (i % 300) / 30.0, 1013 + (i % 50) / 10.0, 100 - (i % 86400) / 1728.0,
  'auto', 'v1.0.0', 0, i, 'synthetic'
FROM s`;

const percentiles = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms`;
};
const measure = (work) => {
  for (let i = 0; i < 5; i++) work();
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const began = performance.now();
    work();
    samples.push(performance.now() - began);
  }
  return percentiles(samples);
};

const dir = mkdtempSync(join(tmpdir(), 'history-json-bench-'));
const store = new TelemetryStore({ path: join(dir, 'dashboard.sqlite'), logger });
store.open();
const start = Math.floor(Date.now() / 1000) * 1000 - READINGS * 1000;
store.transaction(() => store.database.prepare(INSERT).run({ last: READINGS - 1, device: DEVICE, start }));
store.saveDevices([{ ...newRecord(DEVICE, start), last_seen: Date.now() }]);
const topics = new Topics();
const broker = new MqttBrokerConnection({
  topics,
  transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
  clientId: 'history-json-bench',
  logger,
});
const dashboard = await buildDashboard({
  store,
  broker,
  topics,
  logger,
  access: { auth: 'off', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
});

const url = `/api/devices/${DEVICE}/history?limit=${READINGS}`;
const first = await dashboard.app.inject({ method: 'GET', url });
const answer = first.json();
if (first.statusCode !== 200 || answer.history.length !== READINGS || answer.bucket_ms !== null) {
  throw new Error(`unexpected answer: ${first.statusCode}, ${answer.history?.length} readings`);
}
console.log(
  `load average ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}; ${READINGS} readings, ${first.body.length} bytes`,
);

const routeSamples = [];
for (let i = 0; i < RUNS + 5; i++) {
  const began = performance.now();
  await dashboard.app.inject({ method: 'GET', url });
  if (i >= 5) routeSamples.push(performance.now() - began);
}
console.log(`the route (inject, query + JSON): ${percentiles(routeSamples)}`);

let responses = null;
try {
  responses = await import('../dist/http/schema/responses.js');
} catch {
  console.log('no route schemas in this build: serialiser comparison skipped');
}
if (responses) {
  const { z } = await import('zod');
  const { serializerCompiler } = await import('fastify-type-provider-zod');
  const { default: fastJson } = await import('fast-json-stringify');
  const schema = responses.historyResponseSchema;
  const zodChecked = serializerCompiler({ schema, method: 'GET', url });
  const jsonSchema = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' });
  const fast = fastJson(jsonSchema);
  if (fast(answer) !== JSON.stringify(answer))
    console.log('(fast-json-stringify writes the answer differently)');
  console.log(`JSON.stringify (what the routes do): ${measure(() => JSON.stringify(answer))}`);
  console.log(`zod check, then JSON.stringify: ${measure(() => zodChecked(answer))}`);
  console.log(`fast-json-stringify from the JSON Schema: ${measure(() => fast(answer))}`);
}

await dashboard.close();
store.close();
rmSync(dir, { recursive: true, force: true });
