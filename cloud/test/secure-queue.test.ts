import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  MOSQUITTO_BINARY,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '../src/index.js';
import { connectClient, endClients, openClient, quietLogger, whenConnected } from './mqtt-helpers.js';
import { reachableTempDir, readEnv } from './secure-helpers.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: the queue-limit test needs Debian's broker at ${MOSQUITTO_BINARY} (apt-get install mosquitto).`,
  );
}

/** production.conf's max_queued_bytes. */
const MAX_QUEUED_BYTES = 67_108_864;
const PAYLOAD_BYTES = 32_000;
/**
 * db__ready_for_queue (src/database.c) queues a message for an offline client while the payload bytes it
 * already holds are below max_queued_bytes: message k (from 0) is kept when k × payload < limit.
 */
const EXPECTED = Math.ceil(MAX_QUEUED_BYTES / PAYLOAD_BYTES);
const BURST = EXPECTED + 200;

describe.skipIf(!mosquittoInstalled)('production.conf: queued bytes of an offline persistent session', () => {
  let broker: SecureBrokerHandle;
  let admin: DynsecAdmin;

  beforeAll(async () => {
    const dataDir = join(await reachableTempDir('fleet-secure-queue-'), 'data');
    broker = await startSecureMosquitto({ dataDir, logger: quietLogger });
    admin = await DynsecAdmin.connect((await adminConnection(dataDir)).options);
  });
  afterAll(async () => {
    await endClients();
    await admin?.close();
    await broker?.stop();
  });

  it(`keeps ceil(${MAX_QUEUED_BYTES} / ${PAYLOAD_BYTES}) = ${EXPECTED} messages of a burst of ${BURST}, the first ones`, async () => {
    const dashboard = (await readEnv(broker.dashboardEnvPath)).MQTT_PASSWORD;
    const session: IClientOptions = {
      ca: broker.caCertPem,
      clientId: 'dashboard-queue-test',
      username: 'dashboard',
      password: dashboard,
      clean: false,
    };
    const away = await connectClient(broker.url, session);
    await away.subscribeAsync('devices/q-1/data', { qos: 1 });
    await away.endAsync();

    const { password } = await admin.addDevice('q-1');
    const device = await connectClient(broker.url, {
      ca: broker.caCertPem,
      clientId: 'edge-q-1',
      username: 'q-1',
      password,
    });
    const payload = (index: number) => Buffer.alloc(PAYLOAD_BYTES, 'x').fill(`${index};`, 0, 8);
    await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        device.publishAsync('devices/q-1/data', payload(index), { qos: 1 }),
      ),
    );

    const received: number[] = [];
    const back = openClient(broker.url, session);
    let markerSent: Promise<unknown> | undefined;
    const marker = new Promise<void>((resolve) => {
      back.on('message', (_topic: string, message: Buffer) => {
        const text = message.subarray(0, 8).toString('utf8');
        if (text.startsWith('marker')) {
          resolve();
          return;
        }
        received.push(Number(text.split(';')[0]));
        // Once nearly all have come, a new message goes behind whatever is still queued: when it arrives,
        // nothing queued is left. Had the broker kept more, they would come before it.
        if (received.length === EXPECTED - 1 && !markerSent) {
          markerSent = device.publishAsync('devices/q-1/data', Buffer.from('marker'), { qos: 1 });
        }
      });
    });
    expect((await whenConnected(back)).sessionPresent).toBe(true);
    await marker;
    await markerSent;
    expect(received.length).toBeGreaterThanOrEqual(EXPECTED - 1);
    expect(received.length).toBeLessThanOrEqual(EXPECTED + 1);
    expect(received).toEqual(Array.from({ length: received.length }, (_, index) => index));
  });
});
