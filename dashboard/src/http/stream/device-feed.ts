import type { DashboardEventMap, DashboardEventName } from '../../api-types.js';
import type { Frames } from './frames.js';
import type { StreamClient } from './stream-client.js';

/** The events of one device, for the clients watching it (`GET /api/events?device=ID`). */
export const DEVICE_EVENT_NAMES: DashboardEventName[] = [
  'telemetry',
  'status',
  'ack',
  'device',
  'command',
  'forgotten',
];

/**
 * The clients of each device. An event of a device that no client watches costs nothing; one that is
 * watched is serialised once for all its watchers.
 */
export class DeviceFeed {
  private readonly watchers = new Map<string, Set<StreamClient>>();

  constructor(
    private readonly deps: { frames: Frames; send: (client: StreamClient, text: string) => void },
  ) {}

  add(deviceId: string, client: StreamClient): void {
    const set = this.watchers.get(deviceId) ?? new Set<StreamClient>();
    set.add(client);
    this.watchers.set(deviceId, set);
  }

  remove(deviceId: string, client: StreamClient): void {
    const set = this.watchers.get(deviceId);
    set?.delete(client);
    if (set?.size === 0) this.watchers.delete(deviceId);
  }

  publish<K extends DashboardEventName>(name: K, payload: DashboardEventMap[K]): void {
    const set = this.watchers.get(payload.device_id);
    if (!set) return;
    const text = this.deps.frames.build(name, payload);
    for (const client of [...set]) this.deps.send(client, text);
  }
}
