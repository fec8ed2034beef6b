// A benchmark, not a test: the time a command takes through the real edge process (edge/dist/main.js,
// synthetic sensor, its SQLite store in a temporary DATA_DIR) and a real Mosquitto, one command at a time:
// PUBLISH to the broker's PUBACK, and PUBLISH to the device's ack (the command's effect and its ack are one
// SQLite transaction, synchronous=FULL, done before the device's PUBACK).
//
//   npm run build && node edge/test/mqtt/support/command-roundtrip.mjs [--n 200] [--nodelay]
//
// --nodelay: the broker with `set_tcp_nodelay true` and this client with TCP_NODELAY, which shows what Nagle's
// algorithm and delayed ACKs add at each hop (the edge itself always sets TCP_NODELAY).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMosquitto } from '@fleet/cloud';
import mqtt from 'mqtt';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '200' }, nodelay: { type: 'boolean' } },
});
const n = Number(values.n);
const dir = mkdtempSync(join(tmpdir(), 'command-roundtrip-'));
let confPath;
if (values.nodelay) {
  const development = new URL('../../../../cloud/mosquitto/development.conf', import.meta.url);
  confPath = join(dir, 'mosquitto.conf');
  writeFileSync(confPath, `${await readFile(development, 'utf8')}\nset_tcp_nodelay true\n`);
}
const broker = await startMosquitto(confPath ? { confPath } : {});
const edge = spawn(process.execPath, [new URL('../../../dist/main.js', import.meta.url).pathname], {
  env: {
    PATH: process.env.PATH,
    MQTT_BROKER: broker.host,
    MQTT_PORT: String(broker.port),
    DEVICE_ID: 'bench',
    SENSOR: 'synthetic',
    DATA_DIR: join(dir, 'data'),
    MODE: 'manuel',
    CLOCK_SYNC_SOURCE: 'floor',
    LOG_LEVEL: 'warn',
  },
  stdio: 'inherit',
});
const client = await mqtt.connectAsync(broker.url);
if (values.nodelay) client.stream.setNoDelay(true);
const online = new Promise((resolve) =>
  client.on('message', (topic, payload) => {
    if (topic === 'devices/bench/availability' && String(payload) === 'online') resolve();
  }),
);
await client.subscribeAsync('devices/bench/#', { qos: 1 });
await online;
const waiting = new Map();
client.on('message', (topic, payload) => {
  if (topic === 'devices/bench/ack') waiting.get(JSON.parse(String(payload)).command_id)?.();
});

const puback = [];
const ack = [];
for (let i = 0; i < n; i++) {
  const id = `c${i}`;
  const acked = new Promise((resolve) => waiting.set(id, resolve));
  const start = performance.now();
  const command = { command_id: id, seuil_alerte: 20 + (i % 20) };
  await client.publishAsync('devices/bench/commands', JSON.stringify(command), { qos: 1 });
  puback.push(performance.now() - start);
  await acked;
  ack.push(performance.now() - start);
}

const at = (list, p) => [...list].sort((a, b) => a - b)[Math.floor(p * (list.length - 1))].toFixed(2);
const line = (name, list) =>
  `  ${name} ms: median ${at(list, 0.5)}, p95 ${at(list, 0.95)}, max ${at(list, 1)}`;
console.log(`${n} commands, each changing a setting${values.nodelay ? ' (TCP_NODELAY everywhere)' : ''}:`);
console.log(line('PUBLISH -> broker PUBACK', puback));
console.log(line('PUBLISH -> device ack   ', ack));

edge.kill('SIGTERM');
await new Promise((resolve) => edge.on('close', resolve));
await client.endAsync();
await broker.stop();
rmSync(dir, { recursive: true, force: true });
