import mqtt, { type MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import type { DevicesResponse } from '../../src/api-types.js';
import { launchChromium } from './chromium.js';
import { waitFor } from './services.js';
import type { FleetStack } from './stack.js';

/** A started stack, Chromium, and an MQTT client on the stack's broker for the test's scripted devices. */
export interface ScriptedStack {
  browser: Browser;
  publisher: MqttClient;
}

/** Starts the stack and Chromium side by side, then connects the scripted devices' client as `clientId`. */
export async function startScriptedStack(stack: FleetStack, clientId: string): Promise<ScriptedStack> {
  await stack.start();
  const launching = launchChromium();
  await stack.waitForDashboard();
  const browser = await launching;
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.broker.port}`, {
    clientId: `${clientId}-${process.pid}`,
    reconnectPeriod: 0,
  });
  return { browser, publisher };
}

/** Ends what startScriptedStack started, whatever of it did start. */
export async function stopScriptedStack(stack: FleetStack, started: Partial<ScriptedStack>): Promise<void> {
  await started.publisher?.endAsync();
  await started.browser?.close();
  await stack.stop();
}

/** Waits until GET /api/devices counts `count` readings received from the device. */
export async function receivedReadings(stack: FleetStack, deviceId: string, count: number): Promise<void> {
  await waitFor(
    async () => {
      const { devices } = await stack.getJson<DevicesResponse>('/api/devices');
      return devices.find((d) => d.device_id === deviceId)?.delivery.received === count;
    },
    20_000,
    stack.explain(`The dashboard did not report ${count} readings of ${deviceId} within 20 s.`),
  );
}
