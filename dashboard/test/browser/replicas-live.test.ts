import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardProcess, deviceClient, reading } from '../drills/drill-kit.js';
import { tempDir } from '../server/fixtures.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { missingBuilds } from './services.js';

const IDS = ['live-0', 'live-1', 'live-2', 'live-3'];
/** The last reading's temperature of each device: what the page on replica A must show. */
const LAST = [31.2, 32.4, 33.6, 34.8];
const missing = !hasChromium ? 'Chromium is not at /usr/bin/chromium' : missingBuilds().join(', ') || null;
if (missing) console.warn(`SKIPPED: the replicas' browser test: ${missing}.`);

/**
 * Two replicas (MQTT_SHARE_GROUP) on one SQLite file (a test arrangement), a browser on replica A. Mosquitto
 * hands a group's messages to its members in turn, so of four last readings published one after the other, two
 * are stored by replica B: the page on A shows them from A's live connection, not from what A stored.
 */
describe.skipIf(missing !== null)('replicas: a browser on replica A', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let a: DashboardProcess;
  let b: DashboardProcess;
  let browser: Browser;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    const dataDir = join(dir.path, 'shared-data');
    a = new DashboardProcess(broker, dataDir, { MQTT_SHARE_GROUP: 'browser-replicas' });
    b = new DashboardProcess(broker, dataDir, { MQTT_SHARE_GROUP: 'browser-replicas' });
    await a.start();
    await b.start();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await browser?.close();
    await a?.kill();
    await b?.kill();
    await broker?.stop();
    await dir?.remove();
  });

  it('shows the latest reading of every device live, whichever replica stored it', async () => {
    const page = await browser.newPage();
    await page.goto(a.base);
    const devices = await Promise.all(IDS.map((id) => deviceClient(broker, id)));
    clients.push(...devices);
    for (const [index, client] of devices.entries()) {
      await client.publishAsync(`devices/${IDS[index]}/data`, JSON.stringify(reading(IDS[index] ?? '', 0)), {
        qos: 1,
      });
    }
    for (const id of IDS) await page.locator(`button[data-device-id="${id}"]`).waitFor({ timeout: 15_000 });
    // One after the other: Mosquitto alternates between the two members, so two of these go to replica B.
    for (const [index, client] of devices.entries()) {
      const last = reading(IDS[index] ?? '', 1, { temperature: LAST[index] });
      await client.publishAsync(`devices/${IDS[index]}/data`, JSON.stringify(last), { qos: 1 });
    }
    for (const [index, id] of IDS.entries()) {
      await expect
        .poll(async () => page.locator(`button[data-device-id="${id}"]`).textContent(), { timeout: 15_000 })
        .toContain(String(LAST[index]));
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'replicas-live.png') });
  }, 90_000);
});
