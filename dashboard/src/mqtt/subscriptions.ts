import type { Topics } from '@fleet/shared';
import type { Route } from './broker-types.js';

const SHARE_PREFIX = '$share/';

/**
 * `$share/<group>/<filter>` (MQTT 5 shared subscriptions, which Mosquitto also takes from MQTT 3.1.1 clients):
 * the broker hands each message of `filter` to one member of the group. No group: the filter itself.
 */
export function sharedFilter(group: string | null, filter: string): string {
  return group === null ? filter : `${SHARE_PREFIX}${group}/${filter}`;
}

/** The topic filter a subscription matches: the filter without its `$share/<group>/`. */
export function plainFilter(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  const afterGroup = filter.indexOf('/', SHARE_PREFIX.length);
  return afterGroup === -1 ? filter : filter.slice(afterGroup + 1);
}

/** True when `topic` matches the MQTT subscription filter (`+` one level, `#` the rest; `$share/<group>/` ignored). */
export function topicMatches(filter: string, topic: string): boolean {
  const wanted = plainFilter(filter).split('/');
  const levels = topic.split('/');
  for (let index = 0; index < wanted.length; index += 1) {
    const level = wanted[index];
    if (level === '#') return true;
    if (index >= levels.length) return false;
    if (level !== '+' && level !== levels[index]) return false;
  }
  return wanted.length === levels.length;
}

/** The subscriptions of one dashboard: data, status, acks and availability of every device (QoS 1). */
export function dashboardSubscriptions(topics: Topics): string[] {
  return (['data', 'status', 'ack', 'availability'] as const).map((kind) => topics.allDevices(kind));
}

/**
 * The ingest's subscriptions (QoS 1): dashboardSubscriptions(), with readings through
 * `$share/<group>/{root}/+/data` when a share group is set (replicas on one database, MQTT_SHARE_GROUP), so
 * that each reading is stored by one replica. Status, availability and acks stay plain, so every replica
 * knows the whole fleet and gets the ack of a command it sent. (The live push of every replica takes the
 * readings on a connection of its own, LiveConnection: Mosquitto 2.0.11 sends a MQTT 3.1.1 client one copy
 * of a message that matches two of its subscriptions, so a plain `{root}/+/data` beside the shared one on
 * this connection would take the stored copy's place.)
 */
export function ingestSubscriptions(topics: Topics, shareGroup: string | null): string[] {
  const [data = '', ...others] = dashboardSubscriptions(topics);
  return [sharedFilter(shareGroup, data), ...others];
}

/**
 * The subscriptions of one MQTT session: the ingest's, the routes' (a shared route's through the share
 * group), and what to unsubscribe from on connect, since a persistent session keeps what an earlier run
 * subscribed to.
 */
export class SubscriptionPlan {
  private readonly ingest: string[];
  private readonly routes = new Set<Route>();
  /** Filters an earlier run may have left in the persistent session, dropped on every connect. */
  private readonly retired = new Set<string>();

  constructor(
    topics: Topics,
    private readonly shareGroup: string | null,
  ) {
    this.ingest = ingestSubscriptions(topics, shareGroup);
  }

  /** Returns the function that removes the route. */
  add(route: Route): () => void {
    this.routes.add(route);
    return () => this.routes.delete(route);
  }

  retire(filters: readonly string[]): void {
    for (const filter of filters) this.retired.add(filter);
  }

  /** What a route subscribes to. */
  filtersOf(route: Route): string[] {
    const group = route.shared ? this.shareGroup : null;
    return route.filters.map((filter) => sharedFilter(group, filter));
  }

  /** Every filter subscribed to on connect: the ingest's, then the routes'. */
  all(): string[] {
    return [...this.ingest, ...[...this.routes].flatMap((route) => this.filtersOf(route))];
  }

  /**
   * What to unsubscribe from on connect: the retired filters (and their shared form), and the plain form of
   * every shared filter wanted, which a run without a group left in the session (it would take every
   * message); never what this run wants.
   */
  toUnsubscribe(wanted: readonly string[]): string[] {
    const group = this.shareGroup;
    const retired = [...this.retired].flatMap((filter) =>
      group === null ? [filter] : [filter, sharedFilter(group, filter)],
    );
    retired.push(...wanted.map(plainFilter));
    return [...new Set(retired)].filter((filter) => !wanted.includes(filter));
  }

  /** The route whose filters match the topic; undefined: the ingest's. */
  routeOf(topic: string): Route | undefined {
    return [...this.routes].find((route) => route.filters.some((filter) => topicMatches(filter, topic)));
  }
}
