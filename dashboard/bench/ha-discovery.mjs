#!/usr/bin/env node
/**
 * Home Assistant discovery for a large fleet: the real DiscoveryPublisher on the dashboard's real MQTT
 * connection to Mosquitto (Debian's, else the embedded broker), N devices known, one full round as at start
 * or at Home Assistant's birth. A subscriber on homeassistant/# counts what arrives. The publisher sends one
 * device at a time, waits for its PUBACK, then pauses --pace ms (the service's default is 2 ms).
 *
 *   npx tsc -b && node dashboard/bench/ha-discovery.mjs [--devices 5000] [--pace 2]
 *
 * Prints: the round's duration and rate, the payload's size, and the event loop's delay (p50, p99, max) and
 * utilisation during the round: what the ingest, which shares the loop, would have waited.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startTestBroker } from '@fleet/cloud';
import { HaTopics, Topics } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { DashboardEvents } from '../dist/events.js';
import { DiscoveryPublisher } from '../dist/homeassistant/discovery-publisher.js';
import { MqttBrokerConnection } from '../dist/mqtt/broker-connection.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '5000' }, pace: { type: 'string', default: '2' } },
});
const N = Number(values.devices);
const pace = Number(values.pace);
const id = (i) => `sim-${String(i + 1).padStart(5, '0')}`;
const logger = pino({ level: 'warn' });

const broker = await startTestBroker({ logger });
const topics = new Topics();
const connection = new MqttBrokerConnection({
  topics,
  transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
  clientId: `bench-${randomUUID()}`,
  logger,
});
connection.start();
while (!connection.connected) await new Promise((resolve) => setTimeout(resolve, 20));

const summaries = new Map();
for (let i = 0; i < N; i += 1) {
  summaries.set(id(i), {
    device_id: id(i),
    online: true,
    last_seen: null,
    firmware: 'v1.0.0',
    settings: null,
    ota: null,
    sensor: {
      source: i % 10 === 0 ? 'bmp280' : 'bme280',
      bus: 1,
      address: '0x76',
      healthy: true,
      error: null,
    },
    alerte: false,
    latest: null,
    delivery: { received: 0, lost: 0, conflicts: 0 },
    epoch: null,
    epoch_reason: null,
    clock_synced: null,
  });
}
const ids = [...summaries.keys()];

const watcher = await mqtt.connectAsync(broker.url, { clientId: `watch-${randomUUID()}` });
let received = 0;
let bytes = 0;
let done;
const all = new Promise((resolve) => {
  done = resolve;
});
watcher.on('message', (_topic, payload) => {
  received += 1;
  bytes += payload.length;
  if (received === N) done();
});
await watcher.subscribeAsync('homeassistant/device/+/config', { qos: 1 });

const publisher = new DiscoveryPublisher({
  broker: connection,
  fleet: { ids: () => ids, summary: (device) => summaries.get(device) ?? null },
  events: new DashboardEvents(),
  context: { topics, ha: new HaTopics(), origin: { name: 'bench', sw: '0' } },
  configuredLatest: 'v1.1.0',
  logger,
  paceMs: pace,
});

const delay = monitorEventLoopDelay({ resolution: 5 });
const eluBefore = performance.eventLoopUtilization();
delay.enable();
const started = performance.now();
publisher.start();
await all;
const seconds = (performance.now() - started) / 1000;
delay.disable();
const elu = performance.eventLoopUtilization(eluBefore);
const ms = (ns) => (ns / 1e6).toFixed(1);

console.log(
  JSON.stringify(
    {
      broker: broker.kind,
      devices: N,
      pace_ms: pace,
      seconds: Number(seconds.toFixed(2)),
      devices_per_second: Math.round(N / seconds),
      payload_bytes_avg: Math.round(bytes / N),
      event_loop_delay_ms: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
      },
      event_loop_utilisation: Number(elu.utilization.toFixed(3)),
      load_average: loadavg().map((value) => Number(value.toFixed(2))),
    },
    null,
    2,
  ),
);

// The retained discoveries go with the broker.
await publisher.stop();
await watcher.endAsync();
await connection.stop();
await broker.stop();
