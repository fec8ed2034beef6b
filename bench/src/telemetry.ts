import type { Telemetry } from '@fleet/shared';

/** The epoch the bench's readings belong to: a run of the bench is one storage epoch of each device. */
export const BENCH_EPOCH = 'bench';

/** `b-0000` … : short ids keep payloads small (the broker bounds a session's queue in bytes). */
export function deviceIds(count: number): string[] {
  const width = Math.max(4, String(count - 1).length);
  return Array.from({ length: count }, (_, index) => `b-${String(index).padStart(width, '0')}`);
}

/**
 * One contract 2 reading of a simulated device: `seq` counts up by one per device, `timestamp` is the time
 * it is sent (epoch ms), which the receiver reads back to measure the latency. The values follow a
 * smooth day curve so that charts and rollups see plausible figures.
 */
export function reading(deviceId: string, seq: number, sentAtMs: number, epoch = BENCH_EPOCH): Telemetry {
  const phase = (sentAtMs / 86_400_000) * 2 * Math.PI;
  const temperature = Math.round((21 + 4 * Math.sin(phase) + (seq % 7) / 10) * 10) / 10;
  return {
    v: 2,
    device_id: deviceId,
    timestamp: new Date(sentAtMs).toISOString(),
    temperature,
    humidite: Math.round((45 + 10 * Math.cos(phase)) * 10) / 10,
    pression: Math.round((1012 + 3 * Math.sin(phase / 7)) * 10) / 10,
    batterie: 90,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: temperature > 30,
    uptime: seq,
    seq,
    source: 'synthetic',
    epoch,
    clock_synced: true,
  };
}

/** The payload as a device publishes it. */
export function payload(deviceId: string, seq: number, sentAtMs: number, epoch = BENCH_EPOCH): Buffer {
  return Buffer.from(JSON.stringify(reading(deviceId, seq, sentAtMs, epoch)));
}
