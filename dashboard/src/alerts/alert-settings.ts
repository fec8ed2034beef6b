import type { AlertStorage } from './alert-storage.js';
import { type ChannelKind, type Channels, configuredKinds, NO_CHANNELS, secretsOf } from './channels.js';
import { type AlertRules, checkRules, DEFAULT_RULES, mergeRules, type RuleOverride } from './rules.js';

/** What `GET /api/alerts/rules` answers. */
export interface RulesView {
  /** The fleet defaults in force (the built-in defaults with the admin's changes). */
  defaults: AlertRules;
  /** Each device's override: only the fields it changes. */
  devices: Record<string, RuleOverride>;
}

/**
 * The rules and channels in force, kept in memory (the engine reads them for every evaluation) and written
 * through to the database by each change. Replicas share the database: load() reads them again (the API
 * before it answers or changes them, the leader before each tick), so a change made through one replica is
 * what every replica shows.
 */
export class AlertSettings {
  private defaultsOverride: RuleOverride = {};
  private defaults: AlertRules = DEFAULT_RULES;
  private devices = new Map<string, RuleOverride>();
  private effective = new Map<string, AlertRules>();
  private channelSettings: Channels = NO_CHANNELS;
  private loaded = '';

  /** `changed`: called when load() finds rules or channels that another process (a replica) wrote. */
  constructor(
    private readonly store: AlertStorage,
    private readonly changed: () => void = () => undefined,
  ) {}

  /** Reads the rules and channels from the database; true when they differ from those in memory. */
  async load(): Promise<boolean> {
    const { defaults, devices } = await this.store.loadRules();
    const channels = await this.store.loadChannels();
    const seen = canonical([defaults, Object.fromEntries(devices), channels]);
    if (seen === this.loaded) return false;
    this.defaultsOverride = defaults;
    this.defaults = mergeRules(DEFAULT_RULES, defaults);
    this.devices = devices;
    this.effective.clear();
    this.channelSettings = channels;
    const first = this.loaded === '';
    this.loaded = seen;
    if (!first) this.changed();
    return true;
  }

  /** What this process wrote is what it has: the next load() finds no change. */
  private remember(): void {
    this.loaded = canonical([this.defaultsOverride, Object.fromEntries(this.devices), this.channelSettings]);
  }

  /** The rules in force for a device. */
  rulesFor(deviceId: string): AlertRules {
    const override = this.devices.get(deviceId);
    if (!override) return this.defaults;
    let rules = this.effective.get(deviceId);
    if (!rules) {
      rules = mergeRules(this.defaults, override);
      this.effective.set(deviceId, rules);
    }
    return rules;
  }

  view(): RulesView {
    return { defaults: this.defaults, devices: Object.fromEntries(this.devices) };
  }

  /** Changes the fleet defaults: `changes` on top of the current ones; checked before anything is stored. */
  async setDefaults(changes: RuleOverride, by: string, at: number): Promise<void> {
    const merged = mergeOverride(this.defaultsOverride, changes);
    const defaults = mergeRules(DEFAULT_RULES, merged);
    checkRules(defaults, 'fleet defaults');
    for (const [id, override] of this.devices) checkRules(mergeRules(defaults, override), `device ${id}`);
    await this.store.saveRules('', merged, by, at);
    this.defaultsOverride = merged;
    this.defaults = defaults;
    this.effective.clear();
    this.remember();
  }

  /** Replaces a device's override. */
  async setDevice(deviceId: string, override: RuleOverride, by: string, at: number): Promise<void> {
    checkRules(mergeRules(this.defaults, override), `device ${deviceId}`);
    await this.store.saveRules(deviceId, override, by, at);
    this.devices.set(deviceId, override);
    this.effective.delete(deviceId);
    this.remember();
  }

  /** Removes a device's override (the fleet defaults apply); false when it had none. */
  async clearDevice(deviceId: string): Promise<boolean> {
    const had = await this.store.deleteRules(deviceId);
    this.devices.delete(deviceId);
    this.effective.delete(deviceId);
    this.remember();
    return had;
  }

  get channels(): Channels {
    return this.channelSettings;
  }

  /** The channels a new notification goes to. */
  channelKinds(): ChannelKind[] {
    return configuredKinds(this.channelSettings);
  }

  async setChannels(channels: Channels, by: string, at: number): Promise<void> {
    await this.store.saveChannels(channels, by, at);
    this.channelSettings = channels;
    this.remember();
  }

  /** Every secret of the channels (to redact from what is logged). */
  secrets(): string[] {
    return secretsOf(this.channelSettings);
  }
}

function mergeOverride(base: RuleOverride, changes: RuleOverride): RuleOverride {
  const out: Record<string, unknown> = { ...base };
  for (const [rule, fields] of Object.entries(changes)) {
    out[rule] = { ...(base as Record<string, object | undefined>)[rule], ...fields };
  }
  return out as RuleOverride;
}

/** JSON with every object's keys sorted (PostgreSQL's jsonb keeps its own order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
