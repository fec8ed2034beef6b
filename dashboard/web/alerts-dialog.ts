import type { AlertsApi } from './alerts-api.js';
import { RULE_LABELS } from './alerts-panel.js';
import {
  ALERT_RULE_NAMES,
  type AlertRuleName,
  CHANNEL_KINDS,
  type ChannelKind,
  type ChannelsSettings,
  type RuleFields,
  type RulesResponse,
} from './alerts-types.js';
import { byId, h, setText } from './dom.js';

const FIELD_LABELS: Record<string, string> = {
  above: 'Above (°C; empty: the device’s own threshold)',
  below: 'Below',
  min: 'Min (%)',
  max: 'Max (%)',
  hysteresis: 'Hysteresis',
  minutes: 'Minutes',
  count: 'Readings',
};

const CHANNEL_FIELDS: Record<ChannelKind, Array<{ name: string; label: string; optional?: boolean }>> = {
  webhook: [
    { name: 'url', label: 'Webhook URL (JSON POST)' },
    { name: 'token', label: 'Bearer token (optional)', optional: true },
  ],
  ntfy: [
    { name: 'url', label: 'ntfy topic URL, e.g. https://ntfy.sh/my-topic' },
    { name: 'token', label: 'Access token (optional)', optional: true },
  ],
  slack: [{ name: 'url', label: 'Slack-compatible webhook URL (Discord: add /slack)' }],
  telegram: [
    { name: 'bot_token', label: 'Bot token' },
    { name: 'chat_id', label: 'Chat id' },
  ],
};

const CHANNEL_LABELS: Record<ChannelKind, string> = {
  webhook: 'Webhook',
  ntfy: 'ntfy',
  slack: 'Slack / Discord',
  telegram: 'Telegram',
};

/**
 * The admins' dialog for alerts: the fleet's default rules (each can be off), the notification channels
 * (secrets shown masked as the server answers them; sent back unchanged they are kept) and "Send test", which
 * lists each channel's result.
 */
export class AlertsDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly rulesBox: HTMLElement;
  private readonly channelsBox: HTMLElement;
  private readonly rulesStatus: HTMLElement;
  private readonly channelsStatus: HTMLElement;
  private readonly results: HTMLUListElement;

  constructor(
    private readonly doc: Document,
    private readonly api: AlertsApi,
    private readonly changed: () => void,
  ) {
    this.dialog = byId(doc, 'alerts-dialog');
    this.rulesBox = byId(doc, 'alert-rules');
    this.channelsBox = byId(doc, 'alert-channels');
    this.rulesStatus = byId(doc, 'alert-rules-status');
    this.channelsStatus = byId(doc, 'alert-channels-status');
    this.results = byId(doc, 'alert-test-results');
  }

  start(): void {
    byId(this.doc, 'alerts-dialog-close').addEventListener('click', () => this.close());
    byId(this.doc, 'alert-rules-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveRules();
    });
    byId(this.doc, 'alert-channels-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveChannels();
    });
    byId(this.doc, 'alert-channels-test').addEventListener('click', () => void this.test());
  }

  open(): void {
    if (!this.dialog.open) this.dialog.showModal();
    setText(this.rulesStatus, '');
    setText(this.channelsStatus, '');
    this.results.replaceChildren();
    void this.load();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
    // Masked or not, nothing of the channels stays on the page.
    this.channelsBox.replaceChildren();
  }

  private async load(): Promise<void> {
    try {
      const [rules, channels] = await Promise.all([this.api.rules(), this.api.channels()]);
      this.showRules(rules.defaults);
      this.showChannels(channels.channels);
    } catch (error) {
      setText(this.rulesStatus, `The alert settings could not be read: ${(error as Error).message}.`);
    }
  }

  private showRules(rules: RulesResponse['defaults']): void {
    this.rulesBox.replaceChildren(
      ...ALERT_RULE_NAMES.map((rule) => {
        const fields = rules[rule];
        const inputs = Object.entries(fields)
          .filter(([name]) => name !== 'enabled')
          .map(([name, value]) =>
            h(
              this.doc,
              'label',
              { class: 'alert-field' },
              h(this.doc, 'span', { class: 'small muted' }, FIELD_LABELS[name] ?? name),
              h(this.doc, 'input', {
                type: 'number',
                step: 'any',
                id: `alert-${rule}-${name}`,
                'data-rule': rule,
                'data-field': name,
                value: value === null ? '' : String(value),
              }),
            ),
          );
        return h(
          this.doc,
          'fieldset',
          { class: 'alert-rule' },
          h(
            this.doc,
            'legend',
            {},
            h(this.doc, 'input', {
              type: 'checkbox',
              id: `alert-${rule}-enabled`,
              'data-rule': rule,
              'data-field': 'enabled',
              checked: fields.enabled === true,
            }),
            h(this.doc, 'label', { for: `alert-${rule}-enabled` }, RULE_LABELS[rule]),
          ),
          ...inputs,
        );
      }),
    );
  }

  private showChannels(channels: ChannelsSettings): void {
    this.channelsBox.replaceChildren(
      ...CHANNEL_KINDS.map((kind) =>
        h(
          this.doc,
          'fieldset',
          { class: 'alert-channel' },
          h(this.doc, 'legend', {}, CHANNEL_LABELS[kind]),
          ...CHANNEL_FIELDS[kind].map(({ name, label }) =>
            h(
              this.doc,
              'label',
              { class: 'alert-field' },
              h(this.doc, 'span', { class: 'small muted' }, label),
              h(this.doc, 'input', {
                type: 'text',
                id: `channel-${kind}-${name}`,
                'data-channel': kind,
                'data-field': name,
                autocomplete: 'off',
                spellcheck: 'false',
                value: channels[kind]?.[name] ?? '',
              }),
            ),
          ),
        ),
      ),
    );
  }

  /** The form's rules: every field of every rule, as the server takes them. */
  private readRules(): RulesResponse['defaults'] {
    const out = {} as Record<AlertRuleName, RuleFields>;
    for (const rule of ALERT_RULE_NAMES) out[rule] = {};
    for (const input of this.rulesBox.querySelectorAll<HTMLInputElement>('input[data-rule]')) {
      const rule = input.dataset.rule as AlertRuleName;
      const field = input.dataset.field ?? '';
      const fields = out[rule];
      if (input.type === 'checkbox') fields[field] = input.checked;
      else if (input.value.trim() === '') fields[field] = field === 'above' ? null : Number.NaN;
      else fields[field] = Number(input.value);
    }
    return out;
  }

  private async saveRules(): Promise<void> {
    setText(this.rulesStatus, 'Saving…');
    try {
      const saved = await this.api.saveRules(this.readRules());
      this.showRules(saved.defaults);
      setText(this.rulesStatus, 'Rules saved.');
      this.changed();
    } catch (error) {
      setText(this.rulesStatus, (error as Error).message);
    }
  }

  private readChannels(): ChannelsSettings {
    const out = {} as ChannelsSettings;
    for (const kind of CHANNEL_KINDS) {
      const values: Record<string, string | null> = {};
      let any = false;
      for (const { name, optional } of CHANNEL_FIELDS[kind]) {
        const input = byId<HTMLInputElement>(this.doc, `channel-${kind}-${name}`);
        const value = input.value.trim();
        if (value !== '') any = true;
        values[name] = value === '' && optional ? null : value;
      }
      // A channel left empty is removed.
      out[kind] = any ? values : null;
    }
    return out;
  }

  private async saveChannels(): Promise<boolean> {
    setText(this.channelsStatus, 'Saving…');
    try {
      const saved = await this.api.saveChannels(this.readChannels());
      this.showChannels(saved.channels);
      setText(this.channelsStatus, 'Channels saved.');
      return true;
    } catch (error) {
      setText(this.channelsStatus, (error as Error).message);
      return false;
    }
  }

  private async test(): Promise<void> {
    this.results.replaceChildren();
    if (!(await this.saveChannels())) return;
    setText(this.channelsStatus, 'Sending a test to each channel…');
    try {
      const { results } = await this.api.test();
      setText(
        this.channelsStatus,
        `${results.filter((r) => r.ok).length} of ${results.length} channels answered.`,
      );
      this.results.replaceChildren(
        ...results.map((result) =>
          h(
            this.doc,
            'li',
            { class: 'alert-test-result', 'data-channel': result.channel, 'data-ok': String(result.ok) },
            h(this.doc, 'strong', {}, CHANNEL_LABELS[result.channel]),
            result.ok ? `: sent (HTTP ${result.status})` : `: failed — ${result.error}`,
          ),
        ),
      );
    } catch (error) {
      setText(this.channelsStatus, (error as Error).message);
    }
  }
}
