import type { AlertStore } from './alert-store.js';
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
 * through to the database by each change.
 */
export class AlertSettings {
  private defaultsOverride: RuleOverride = {};
  private defaults: AlertRules = DEFAULT_RULES;
  private devices = new Map<string, RuleOverride>();
  private effective = new Map<string, AlertRules>();
  private channelSettings: Channels = NO_CHANNELS;

  constructor(private readonly store: AlertStore) {}

  load(): void {
    const { defaults, devices } = this.store.loadRules();
    this.defaultsOverride = defaults;
    this.defaults = mergeRules(DEFAULT_RULES, defaults);
    this.devices = devices;
    this.effective.clear();
    this.channelSettings = this.store.loadChannels();
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
  setDefaults(changes: RuleOverride, by: string, at: number): void {
    const merged = mergeOverride(this.defaultsOverride, changes);
    const defaults = mergeRules(DEFAULT_RULES, merged);
    checkRules(defaults, 'fleet defaults');
    for (const [id, override] of this.devices) checkRules(mergeRules(defaults, override), `device ${id}`);
    this.store.saveRules('', merged, by, at);
    this.defaultsOverride = merged;
    this.defaults = defaults;
    this.effective.clear();
  }

  /** Replaces a device's override. */
  setDevice(deviceId: string, override: RuleOverride, by: string, at: number): void {
    checkRules(mergeRules(this.defaults, override), `device ${deviceId}`);
    this.store.saveRules(deviceId, override, by, at);
    this.devices.set(deviceId, override);
    this.effective.delete(deviceId);
  }

  /** Removes a device's override (the fleet defaults apply); false when it had none. */
  clearDevice(deviceId: string): boolean {
    const had = this.store.deleteRules(deviceId);
    this.devices.delete(deviceId);
    this.effective.delete(deviceId);
    return had;
  }

  get channels(): Channels {
    return this.channelSettings;
  }

  /** The channels a new notification goes to. */
  channelKinds(): ChannelKind[] {
    return configuredKinds(this.channelSettings);
  }

  setChannels(channels: Channels, by: string, at: number): void {
    this.store.saveChannels(channels, by, at);
    this.channelSettings = channels;
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
