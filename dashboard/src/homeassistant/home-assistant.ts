import { readFileSync } from 'node:fs';
import { type Clock, HaTopics, type Logger, type Topics } from '@fleet/shared';
import type { CommandService } from '../commands/command-service.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import type { BrokerConnection, IncomingMessage, Route } from '../mqtt/broker-connection.js';
import { CommandBridge } from './command-bridge.js';
import { DiscoveryPublisher } from './discovery-publisher.js';

export const ORIGIN_NAME = 'balena sensor fleet dashboard';

export interface HomeAssistantDeps {
  /** The dashboard's one MQTT connection: discovery goes out on it, and it routes HA's topics here. */
  broker: Pick<BrokerConnection, 'connected' | 'publish'> & { route(route: Route): () => void };
  fleet: Pick<Fleet, 'ids' | 'summary'>;
  events: DashboardEvents;
  commands: Pick<CommandService, 'send'>;
  topics: Topics;
  clock: Clock;
  logger: Logger;
  /** HA_DISCOVERY_PREFIX */
  prefix: string;
  /** HA_LATEST_FIRMWARE, or null: the newest firmware running in the fleet. */
  latestFirmware: string | null;
  /** See DiscoveryPublisher (tests make them short). */
  paceMs?: number;
  retryMs?: number;
}

/**
 * Home Assistant on the dashboard's MQTT connection (HA_DISCOVERY=on): the discovery of every device
 * (DiscoveryPublisher), published again when Home Assistant's birth message (`<prefix>/status` = `online`)
 * comes, and the commands from `{root}/+/set` (CommandBridge). Its two subscriptions are routes of their own,
 * so the ingest never sees them. Create and start it before the broker connection starts.
 */
export class HomeAssistant {
  readonly ha: HaTopics;
  readonly publisher: DiscoveryPublisher;
  readonly bridge: CommandBridge;
  private readonly removeRoutes: Array<() => void> = [];

  constructor(private readonly deps: HomeAssistantDeps) {
    this.ha = new HaTopics(deps.prefix);
    this.publisher = new DiscoveryPublisher({
      broker: deps.broker,
      fleet: deps.fleet,
      events: deps.events,
      context: { topics: deps.topics, ha: this.ha, origin: { name: ORIGIN_NAME, sw: dashboardVersion() } },
      configuredLatest: deps.latestFirmware,
      logger: deps.logger,
      ...(deps.paceMs === undefined ? {} : { paceMs: deps.paceMs }),
      ...(deps.retryMs === undefined ? {} : { retryMs: deps.retryMs }),
    });
    this.bridge = new CommandBridge({
      commands: deps.commands,
      topics: deps.topics,
      clock: deps.clock,
      logger: deps.logger,
    });
  }

  /** The subscriptions this adds to the dashboard's: Home Assistant's status and every device's set topic. */
  get subscriptions(): string[] {
    return homeAssistantSubscriptions(this.deps.topics, this.ha.prefix);
  }

  start(): void {
    this.removeRoutes.push(
      this.deps.broker.route({
        filters: [this.ha.status()],
        handler: (message) => this.homeAssistantStatus(message),
      }),
      this.deps.broker.route({
        filters: [this.deps.topics.allSets()],
        handler: (message) => this.bridge.handle(message),
        // Replicas (MQTT_SHARE_GROUP): each set request reaches one of them, so it is sent on once.
        shared: true,
      }),
    );
    this.publisher.start();
  }

  async stop(): Promise<void> {
    for (const remove of this.removeRoutes.splice(0)) remove();
    await this.publisher.stop();
  }

  private homeAssistantStatus(message: IncomingMessage): undefined {
    const text = message.payload.toString('utf8').trim();
    this.deps.logger.info(
      {
        component: 'homeassistant',
        topic: message.topic,
        status: text.slice(0, 32),
        retained: message.retain,
      },
      `Home Assistant status: ${text.slice(0, 32)}`,
    );
    if (text === 'online') this.publisher.republishAll('homeassistant_online');
    return undefined;
  }
}

/** What the dashboard subscribes to for Home Assistant: its status and every device's set topic. */
export function homeAssistantSubscriptions(topics: Topics, prefix: string): string[] {
  return [new HaTopics(prefix).status(), topics.allSets()];
}

/** The dashboard's version (its package.json), for the discovery's origin block. */
function dashboardVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
