// A process holding one DeviceLink, for tests that SIGKILL it as a power cut would: `node link-process.mjs
// <hold|resolve|reject> <port> <deviceId> [topicRoot]`. Its command handler never settles (hold), resolves,
// or rejects; it prints one JSON line per event: {"connected":true}, {"received":"<payload>"}. Once a
// handler has settled it publishes `settled` on its data topic: the broker reads it after the PUBACK, if
// any, so a test that sees it knows the PUBACK decision reached the broker. Runs the compiled link
// (edge/dist), like the service.
import { createLogger, Topics } from '@fleet/shared';
import { DeviceLink } from '../../../dist/mqtt/device-link.js';

const [mode, port, deviceId, root = 'devices'] = process.argv.slice(2);
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const link = new DeviceLink({
  deviceId,
  topics: new Topics(root),
  transport: { host: '127.0.0.1', port: Number(port), protocol: 'mqtt' },
  logger: createLogger('link-process', 'silent'),
  initialReconnectMs: 200,
  maxReconnectMs: 1_000,
});
link.setOnlineStatus(() => JSON.stringify({ device_id: deviceId, online: true, firmware: 'v1.0.0' }));
link.onConnectionChange((connected) => say({ connected }));
link.onCommand((payload) => {
  say({ received: payload.toString('utf8') });
  if (mode === 'hold') return new Promise(() => undefined);
  const settled =
    mode === 'resolve' ? Promise.resolve() : Promise.reject(new Error('the command could not be recorded'));
  // After the link's own reaction to the settlement (PUBACK or none), which runs in the same microtasks.
  const marker = () => link.publish(`${root}/${deviceId}/data`, 'settled').catch(() => undefined);
  settled.catch(() => undefined).then(() => setImmediate(marker));
  return settled;
});
link.start();
