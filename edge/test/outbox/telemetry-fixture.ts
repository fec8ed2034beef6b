import type { Telemetry } from '@fleet/shared';

/** A valid reading with the given seq. */
export function reading(seq: number): Telemetry {
  return {
    device_id: 'pi-test',
    timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(),
    temperature: 20 + (seq % 10) / 10,
    humidite: 45,
    pression: 1013.2,
    batterie: 99.5,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq * 5,
    seq,
    source: 'synthetic',
  };
}

export const seqsOf = (items: Telemetry[]) => items.map((item) => item.seq);
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
