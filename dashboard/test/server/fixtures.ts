import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type StoredReading,
  TelemetryStore,
  type TelemetryStoreOptions,
  trustedTime,
} from '@fleet/dashboard';
import type { Ack, Clock, Logger, OfflineStatus, OnlineStatus, Telemetry } from '@fleet/shared';
import { pino } from 'pino';

export const quietLogger = (): Logger => pino({ level: 'silent' });

/** A logger whose lines are kept, to check what was logged. */
export function capturingLogger(level: 'debug' | 'info' | 'warn' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream) as Logger, lines };
}

/** A clock the test sets. */
export class ManualClock implements Clock {
  constructor(private time: number) {}
  now(): Date {
    return new Date(this.time);
  }
  set(iso: string): void {
    this.time = Date.parse(iso);
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export function telemetry(overrides: Partial<Telemetry> = {}): Telemetry {
  return {
    device_id: 'pi-1',
    timestamp: '2025-03-01T12:00:00.000Z',
    temperature: 21.5,
    humidite: 40.2,
    pression: 1013.2,
    batterie: 88,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: 120,
    seq: 0,
    source: 'synthetic',
    ...overrides,
  };
}

/** `count` readings of one device, one per `stepMs`, seq from `firstSeq`. */
export function readings(deviceId: string, count: number, startIso: string, stepMs = 1000, firstSeq = 0) {
  const start = Date.parse(startIso);
  return Array.from({ length: count }, (_, i) =>
    telemetry({
      device_id: deviceId,
      seq: firstSeq + i,
      timestamp: new Date(start + i * stepMs).toISOString(),
    }),
  );
}

/** A reading as the dashboard stores it when it arrives at `receivedIso` (default: the harness's start time). */
export function stored(reading: Telemetry, receivedIso = '2025-03-01T12:00:00.000Z'): StoredReading {
  const receivedAt = Date.parse(receivedIso);
  return {
    ...reading,
    received_at: new Date(receivedAt).toISOString(),
    trusted_at: new Date(trustedTime(reading, receivedAt)).toISOString(),
  };
}

export function onlineStatus(deviceId: string, overrides: Partial<OnlineStatus> = {}): OnlineStatus {
  return {
    device_id: deviceId,
    online: true,
    firmware: 'v1.0.0',
    mode: 'auto',
    intervalle: 5,
    seuil_alerte: 30,
    actif: true,
    alerte: false,
    sensor: { source: 'synthetic', bus: null, address: null, healthy: true, error: null },
    ota: {
      state: 'idle',
      progress: 0,
      target_version: null,
      previous_version: null,
      error: null,
      command_id: null,
      updated_at: '2025-03-01T12:00:00.000Z',
    },
    timestamp: '2025-03-01T12:00:00.000Z',
    ...overrides,
  };
}

export function offlineStatus(deviceId: string): OfflineStatus {
  return { device_id: deviceId, online: false };
}

export function ack(deviceId: string, commandId: string | null, overrides: Partial<Ack> = {}): Ack {
  return {
    device_id: deviceId,
    command_id: commandId,
    status: 'applied',
    error: null,
    settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
    firmware: 'v1.0.0',
    timestamp: '2025-03-01T12:00:01.000Z',
    ...overrides,
  };
}

/** A temporary folder, removed by the returned function. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'dashboard-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function openStore(dir: string, options: Partial<TelemetryStoreOptions> = {}): TelemetryStore {
  const store = new TelemetryStore({
    path: join(dir, 'dashboard.sqlite'),
    logger: quietLogger(),
    ...options,
  });
  store.open();
  return store;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what: string | (() => string) = 'condition',
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const described = typeof what === 'function' ? what() : what;
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${described}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
