// A second process that keeps writing readings into a dashboard database, as the running dashboard does
// (TelemetryStore: WAL mode, a transaction per group), until SIGTERM. Usage: node this.mjs DB_PATH DEVICE_ID
// Prints "committed N" after each group (N: readings stored so far, seq 0..N-1), and "stopped N" at the end.
import { createLogger } from '@fleet/shared';
import { TelemetryStore } from '../../../dist/index.js';

const [path, deviceId] = process.argv.slice(2);
const GROUP = 200;
const store = new TelemetryStore({ path, logger: createLogger('writer', 'silent') });
store.open();
let count = store.delivery(deviceId).received; // goes on after what a previous run stored
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

function group() {
  if (stopping) {
    store.close();
    process.stdout.write(`stopped ${count}\n`, () => process.exit(0));
    return;
  }
  const start = Date.parse('2026-01-01T00:00:00Z');
  store.transaction(() => {
    for (let i = 0; i < GROUP; i += 1) {
      const seq = count + i;
      const at = new Date(start + seq * 1000).toISOString();
      store.writeReading({
        device_id: deviceId,
        timestamp: at,
        temperature: 20 + (seq % 10) / 10,
        humidite: 40,
        pression: 1013.2,
        batterie: 90,
        mode: 'auto',
        firmware: 'v1.0.0',
        alerte: false,
        uptime: seq,
        seq,
        source: 'synthetic',
        received_at: at,
        trusted_at: at,
      });
    }
  });
  count += GROUP;
  process.stdout.write(`committed ${count}\n`);
  setImmediate(group);
}
group();
