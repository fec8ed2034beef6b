import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BrokerHandle, freePort, hasMosquitto, startTestBroker } from '@fleet/cloud';
import {
  type CommandLogResponse,
  loadDashboardConfig,
  type RunningDashboard,
  startDashboard,
} from '@fleet/dashboard';
import { type Ack, ackSchema } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryProblems } from '../homeassistant/discovery-schema.js';
import { capturingLogger, eventually, onlineStatus, tempDir } from '../server/fixtures.js';
import { EDGE_ENTRY, edgeBuilt, killAll, runService, type Service } from './processes.js';

const run = promisify(execFile);
const EDGE = 'ha-pi-1';
const BMP = 'ha-bmp-2';
/** Forgotten with the fleet command, as an operator would. */
const OLD = 'ha-old-3';
const FLEET_MAIN = fileURLToPath(new URL('../../../cloud/dist/fleet/main.js', import.meta.url));
const ready = edgeBuilt() && hasMosquitto();
if (!ready) {
  console.warn(
    `Skipping the Home Assistant tests: they need ${EDGE_ENTRY} (npx tsc -b edge) and Mosquitto (apt-get install mosquitto).`,
  );
}

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

/**
 * With HA_DISCOVERY=on, what Home Assistant would see on a real Mosquitto: the dashboard's discovery of a
 * real edge and of a BMP280 device (read with mosquitto_sub, as the issue says), republished at Home
 * Assistant's birth, removed when a device is forgotten, and a Home Assistant-style mosquitto_pub on the set
 * topic changing the real edge's interval, with its ack.
 */
describe.skipIf(!ready)('Home Assistant discovery and commands on a real broker', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard;
  let base: string;
  let device: Service;
  /** Watches homeassistant/# and the command and ack topics, as Home Assistant's MQTT integration would. */
  let watcher: MqttClient;
  const seen: Seen[] = [];
  const captured = capturingLogger('info');

  /** `mosquitto_sub -v -t filter` for `seconds`: the retained messages a new subscriber gets. */
  const mosquittoSub = async (filter: string, seconds: number) => {
    const args = ['-h', broker.host, '-p', String(broker.port), '-t', filter, '-v', '-W', String(seconds)];
    // It exits with code 27 when -W ends it: what it printed until then is the answer.
    const stdout = await run('mosquitto_sub', args).then(
      (result) => result.stdout,
      (error: { code?: number; stdout?: string }) => {
        if (error.code !== 27) throw error;
        return error.stdout ?? '';
      },
    );
    return stdout
      .trim()
      .split('\n')
      .map((line) => {
        const space = line.indexOf(' ');
        return { topic: line.slice(0, space), payload: line.slice(space + 1) };
      });
  };
  const mosquittoPub = (topic: string, message: string) =>
    run('mosquitto_pub', [
      '-h',
      broker.host,
      '-p',
      String(broker.port),
      '-q',
      '1',
      '-t',
      topic,
      '-m',
      message,
    ]);
  const configs = (id: string) =>
    seen.filter((message) => message.topic === `homeassistant/device/${id}/config`);

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    watcher = await mqtt.connectAsync(broker.url, { clientId: `ha-${randomUUID()}` });
    watcher.on('message', (topic, payload, packet) =>
      seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }),
    );
    await watcher.subscribeAsync(['homeassistant/#', 'devices/+/commands', 'devices/+/ack'], { qos: 1 });
    // A device with a BMP280 (no humidity), known from its retained status.
    const bmp = await mqtt.connectAsync(broker.url, { clientId: `bmp-${randomUUID()}` });
    await bmp.publishAsync(
      `devices/${BMP}/status`,
      JSON.stringify(
        onlineStatus(BMP, {
          v: 2,
          firmware: 'v1.1.0',
          sensor: { source: 'bmp280', bus: 1, address: '0x76', healthy: true, error: null },
        }),
      ),
      { qos: 1, retain: true },
    );
    await bmp.publishAsync(`devices/${BMP}/availability`, 'online', { qos: 1, retain: true });
    await bmp.publishAsync(`devices/${OLD}/status`, JSON.stringify(onlineStatus(OLD, { v: 2 })), {
      qos: 1,
      retain: true,
    });
    await bmp.endAsync();
    const port = await freePort();
    running = await startDashboard(
      loadDashboardConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        MQTT_BROKER: broker.host,
        MQTT_PORT: String(broker.port),
        MQTT_CLIENT_ID: `dashboard-${randomUUID()}`,
        DATA_DIR: `${dir.path}/dashboard`,
        HA_DISCOVERY: 'on',
        HA_LATEST_FIRMWARE: 'v1.2.0',
      }),
      { logger: captured.logger },
    );
    base = `http://127.0.0.1:${port}`;
    device = runService(EDGE_ENTRY, {
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DEVICE_ID: EDGE,
      SENSOR: 'synthetic',
      DATA_DIR: `${dir.path}/edge`,
      PUBLISH_INTERVAL: '1',
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    if (device) {
      const code = await Promise.race([
        device.stop(),
        new Promise((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      if (code === 'timeout') await killAll([device]);
    }
    await watcher?.endAsync();
    await running?.stop();
    await broker?.stop();
    await dir?.remove();
  });

  it('gives every known device a valid retained discovery, which mosquitto_sub reads', async () => {
    await eventually(
      () => configs(EDGE).some((message) => message.payload.includes('"sw_version":"v1.0.0"')),
      15_000,
      () => `the edge's discovery (device: ${device.lines.slice(-2).join(' | ')})`,
    );
    const retained = await mosquittoSub('homeassistant/device/+/config', 2);
    expect(retained.map((message) => message.topic).sort()).toEqual([
      `homeassistant/device/${BMP}/config`,
      `homeassistant/device/${OLD}/config`,
      `homeassistant/device/${EDGE}/config`,
    ]);
    for (const message of retained) {
      const payload = JSON.parse(message.payload) as Record<string, unknown>;
      expect(discoveryProblems(payload), message.topic).toEqual([]);
    }
    const byId = Object.fromEntries(
      retained.map((message) => {
        const payload = JSON.parse(message.payload) as {
          components: Record<string, unknown>;
          device: unknown;
        };
        return [message.topic.split('/')[2], payload];
      }),
    );
    expect(Object.keys(byId[EDGE]?.components ?? {})).toContain('humidity');
    expect(Object.keys(byId[BMP]?.components ?? {})).not.toContain('humidity');
    // The edge of this release reports its calibration, so it has calibration controls; the older BMP280 does not.
    expect(Object.keys(byId[EDGE]?.components ?? {})).toEqual(
      expect.arrayContaining(['temperature_offset', 'altitude']),
    );
    expect(Object.keys(byId[BMP]?.components ?? {})).not.toContain('altitude');
    expect(byId[BMP]?.device).toMatchObject({
      sw_version: 'v1.1.0',
      model: expect.stringContaining('BMP280'),
    });
  });

  it('does not republish on readings, and republishes every device when Home Assistant comes online', async () => {
    const before = seen.length;
    // Three readings of the edge go by (PUBLISH_INTERVAL 1 s): none changes its discovery.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(seen.slice(before).filter((message) => message.topic.endsWith('/config'))).toEqual([]);
    await mosquittoPub('homeassistant/status', 'online');
    await eventually(
      () => {
        const after = seen.slice(before).filter((message) => message.topic.endsWith('/config'));
        return [EDGE, BMP, OLD].every((id) => after.some((message) => message.topic.includes(`/${id}/`)));
      },
      10_000,
      'both discoveries again after the birth message',
    );
  });

  it('sends a Home Assistant-style set on to the device, which applies it and acknowledges', async () => {
    await mosquittoPub(`devices/${EDGE}/set`, '{"intervalle":30}');
    const ack = await eventually(
      () => {
        const message = seen.find(
          (candidate) =>
            candidate.topic === `devices/${EDGE}/ack` && candidate.payload.includes('"intervalle":30'),
        );
        return message ? (ackSchema.parse(JSON.parse(message.payload)) as Ack) : undefined;
      },
      10_000,
      'the ack of the interval change',
    );
    expect(ack).toMatchObject({ status: 'applied', settings: expect.objectContaining({ intervalle: 30 }) });
    const command = seen.find((message) => message.topic === `devices/${EDGE}/commands`);
    expect(JSON.parse(command?.payload ?? '{}')).toMatchObject({
      intervalle: 30,
      command_id: ack.command_id,
      issued_at: expect.any(String),
    });
    const trail = (await (await fetch(`${base}/api/devices/${EDGE}/commands`)).json()) as CommandLogResponse;
    expect(trail.commands[0]).toMatchObject({
      command_id: ack.command_id,
      by: { name: 'homeassistant', kind: 'mqtt' },
      outcome: 'applied',
    });
  });

  it('sends nothing for a bad set, and logs one sentence naming the field', async () => {
    const commandsBefore = seen.filter((message) => message.topic.endsWith('/commands')).length;
    await mosquittoPub(`devices/${EDGE}/set`, '{"intervalle":0}');
    const line = await eventually(
      () => captured.lines.find((entry) => String(entry.msg).startsWith('Home Assistant command not sent')),
      5000,
      'the refusal in the log',
    );
    expect(line.error).toBe(
      'Field "intervalle" received 0; accepted: a whole number of seconds from 1 to 60.',
    );
    // The set after it goes through: had the bad one been sent, its command would come before.
    await mosquittoPub(`devices/${EDGE}/set`, '{"mode":"economie"}');
    await eventually(() => seen.some((message) => message.payload.includes('"mode":"economie"')), 10_000);
    const commands = seen.filter((message) => message.topic.endsWith('/commands')).slice(commandsBefore);
    expect(commands.map((message) => JSON.parse(message.payload).intervalle)).toEqual([undefined]);
  });

  it('removes a forgotten device from Home Assistant (an empty retained discovery), from the API or the fleet command', async () => {
    const response = await fetch(`${base}/api/devices/${BMP}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    await eventually(() => configs(BMP).some((message) => message.payload === ''), 10_000, 'the removal');
    const forgotten = await run(process.execPath, [FLEET_MAIN, 'device', 'forget', OLD], {
      env: { PATH: process.env.PATH, DASHBOARD_URL: base },
    });
    expect(forgotten.stderr).toContain(OLD);
    await eventually(
      () => configs(OLD).some((message) => message.payload === ''),
      10_000,
      'the removal by the CLI',
    );
    const retained = await mosquittoSub('homeassistant/device/+/config', 2);
    expect(retained.map((message) => message.topic)).toEqual([`homeassistant/device/${EDGE}/config`]);
  });
});

/**
 * The dashboard's MQTT session is persistent: the subscriptions a run made for Home Assistant outlive it. Once
 * HA_DISCOVERY is off, they are dropped at connect, so Home Assistant's messages do not reach the ingest.
 */
describe.skipIf(!hasMosquitto())('turning Home Assistant off', () => {
  it("leaves no Home Assistant subscription in the dashboard's session", async () => {
    const broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    const dir = await tempDir();
    const clientId = `dashboard-${randomUUID()}`;
    const start = async (haDiscovery: 'on' | 'off') =>
      startDashboard(
        loadDashboardConfig({
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          MQTT_BROKER: broker.host,
          MQTT_PORT: String(broker.port),
          MQTT_CLIENT_ID: clientId,
          DATA_DIR: `${dir.path}/dashboard`,
          HA_DISCOVERY: haDiscovery,
        }),
        { logger: pino({ level: 'silent' }) },
      );
    const connected = (running: RunningDashboard) =>
      eventually(
        async () =>
          ((await (await fetch(`${running.address}/healthz`)).json()) as { mqtt: string }).mqtt ===
          'connected',
        10_000,
        'the dashboard connected to the broker',
      );
    const client = await mqtt.connectAsync(broker.url, { clientId: `ha-${randomUUID()}` });
    try {
      const on = await start('on');
      await connected(on);
      await on.stop();
      const off = await start('off');
      try {
        await connected(off);
        await client.publishAsync('devices/pi-9/set', '{"intervalle":30}', { qos: 1 });
        await client.publishAsync('homeassistant/status', 'online', { qos: 1 });
        // A message the ingest takes, after them: once it is in, they would have arrived before it.
        await client.publishAsync('devices/pi-9/availability', 'online', { qos: 1 });
        await eventually(() => off.dashboard.fleet.has('pi-9'), 10_000, 'the availability in the fleet');
        expect(off.dashboard.ingest.invalid.total()).toBe(0);
      } finally {
        await off.stop();
      }
    } finally {
      await client.endAsync();
      await broker.stop();
      await dir.remove();
    }
  });
});
