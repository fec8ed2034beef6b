import { type EventStream, openEventStream, type SseEvent } from './sse.js';

/**
 * How the dashboard's event stream is asked for one device: `device` is the protocol of issue 10
 * (`GET /api/events?device=<id>&fleet=none`, only that device's events); `all` is the earlier one, where every
 * client receives every device's events and the bench keeps those of its device.
 */
export type StreamProtocol = 'device' | 'all';

/** Asks the dashboard for one device's stream: 200 means it has the per-device protocol, 400 that it has not. */
export async function detectProtocol(baseUrl: string, deviceId: string): Promise<StreamProtocol> {
  const stream = openEventStream(watchUrl(baseUrl, 'device', deviceId), () => undefined);
  const status = await stream.opened;
  stream.close();
  if (status === 200) return 'device';
  if (status === 400) return 'all';
  throw new Error(`GET /api/events?device=… answered ${status}; the bench expected 200 or 400.`);
}

export function watchUrl(baseUrl: string, protocol: StreamProtocol, deviceId: string | null): string {
  return protocol === 'device' && deviceId !== null
    ? `${baseUrl}/api/events?device=${encodeURIComponent(deviceId)}&fleet=none`
    : `${baseUrl}/api/events`;
}

/**
 * Latencies from publish to event stream: a `telemetry` event carries the reading, whose `timestamp` is
 * the time the publisher sent it (ms); the latency is the time it arrives here minus that. Readings sent
 * before `from` (the warm-up) are not counted.
 */
export class LatencyCollector {
  readonly samples: number[] = [];
  /** Epoch ms; readings sent earlier are the warm-up's. */
  from = Number.POSITIVE_INFINITY;
  /** Telemetry events of the watched devices received, warm-up included. */
  received = 0;

  /** Takes an event; `deviceId` keeps only that device's readings (for streams that carry every device). */
  take(event: SseEvent, deviceId: string | null, now = Date.now()): void {
    if (event.event !== 'telemetry') return;
    if (deviceId !== null && !event.data.includes(`"device_id":"${deviceId}"`)) return;
    const reading = JSON.parse(event.data) as { device_id?: string; timestamp?: string };
    if (deviceId !== null && reading.device_id !== deviceId) return;
    const sentAt = Date.parse(reading.timestamp ?? '');
    if (Number.isNaN(sentAt)) return;
    this.received += 1;
    if (sentAt >= this.from) this.samples.push(now - sentAt);
  }
}

/**
 * Opens one stream per device (per-device protocol), or `streams` plain ones that each keep one device's
 * readings (earlier protocol), a hundred at a time, and waits until all have answered 200.
 */
export async function openWatchers(
  baseUrl: string,
  protocol: StreamProtocol,
  devices: readonly (string | null)[],
  collector: LatencyCollector,
): Promise<EventStream[]> {
  const streams: EventStream[] = [];
  for (let start = 0; start < devices.length; start += 100) {
    const batch = devices.slice(start, start + 100).map((deviceId) => {
      const filter = protocol === 'all' ? deviceId : null;
      return openEventStream(watchUrl(baseUrl, protocol, deviceId), (event) => collector.take(event, filter));
    });
    streams.push(...batch);
    const statuses = await Promise.all(batch.map((stream) => stream.opened));
    const refused = statuses.find((status) => status !== 200);
    if (refused !== undefined) {
      for (const stream of streams) stream.close();
      throw new Error(
        `The dashboard answered ${refused} to event stream ${streams.length - batch.length + statuses.indexOf(refused) + 1}.`,
      );
    }
  }
  return streams;
}
