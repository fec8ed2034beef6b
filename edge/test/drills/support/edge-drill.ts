import type { BrokerHandle } from '@fleet/cloud';
import {
  type Ack,
  type OnlineStatus,
  parseAck,
  parseStatus,
  parseTelemetry,
  type Telemetry,
} from '@fleet/shared';
import { type EdgeProcess, spawnEdge } from '../../integration/support/edge-process.js';
import type { SeenMessage } from '../../integration/support/mqtt-watcher.js';

/** The compiled edge against a test broker: synthetic sensor, its clock trusted (the floor), info logs. */
export function spawnDrillEdge(
  broker: BrokerHandle,
  deviceId: string,
  dataDir: string,
  extra: Record<string, string> = {},
): EdgeProcess {
  return spawnEdge({
    MQTT_BROKER: broker.host,
    MQTT_PORT: String(broker.port),
    DEVICE_ID: deviceId,
    SENSOR: 'synthetic',
    DATA_DIR: dataDir,
    CLOCK_SYNC_SOURCE: 'floor',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** SIGTERM, as balena stops a container, and its exit. */
export async function stopGracefully(edge: EdgeProcess): Promise<{ code: number | null }> {
  edge.child.kill('SIGTERM');
  return edge.exited;
}

export function telemetryOf(message: SeenMessage): Telemetry {
  const parsed = parseTelemetry(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value;
}

export function ackOf(message: SeenMessage): Ack {
  const parsed = parseAck(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value;
}

export function statusOf(message: SeenMessage): OnlineStatus | null {
  const parsed = parseStatus(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value.online ? parsed.value : null;
}

const identity = (t: Telemetry) => `${t.epoch ?? '-'}:${t.seq}`;

/** The distinct readings of a list (a reading sent twice counts once), by identity. */
export function distinctReadings(readings: Telemetry[]): Map<string, Telemetry> {
  const byIdentity = new Map<string, Telemetry>();
  for (const reading of readings) byIdentity.set(identity(reading), reading);
  return byIdentity;
}

/**
 * What must hold for readings received from one device: an identity (epoch, seq) never comes with two
 * different readings, and per epoch the seqs are 0..max without a hole (nothing lost). Gives the problems.
 */
export function identityProblems(readings: Telemetry[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const byEpoch = new Map<string, Set<number>>();
  for (const reading of readings) {
    const key = identity(reading);
    const body = JSON.stringify({ ...reading, timestamp: undefined, clock_synced: undefined });
    const known = seen.get(key);
    if (known !== undefined && known !== body) problems.push(`${key} came with two different readings`);
    seen.set(key, body);
    const epoch = reading.epoch ?? '-';
    byEpoch.set(epoch, (byEpoch.get(epoch) ?? new Set()).add(reading.seq));
  }
  for (const [epoch, seqs] of byEpoch) {
    const max = Math.max(...seqs);
    const missing = Array.from({ length: max + 1 }, (_, seq) => seq).filter((seq) => !seqs.has(seq));
    if (missing.length > 0)
      problems.push(`epoch ${epoch}: seq ${missing.slice(0, 10).join(', ')} missing of 0..${max}`);
  }
  return problems;
}
