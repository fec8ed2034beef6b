import { AlertRulesForm } from './alert-rules-form.js';
import type { AlertsApi } from './alerts-api.js';
import { CHANNEL_KINDS, type ChannelKind, type ChannelsSettings } from './alerts-types.js';
import { byId, h, setText } from './dom.js';
import type { UnitChoice } from './units.js';

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
 * The admins' dialog for alerts: the rules (AlertRulesForm: the fleet's defaults or one device's), the notification channels
 * (secrets shown masked as the server answers them; sent back unchanged they are kept) and "Send test", which
 * lists each channel's result.
 */
export class AlertsDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly rules: AlertRulesForm;
  private readonly channelsBox: HTMLElement;
  private readonly channelsStatus: HTMLElement;
  private readonly results: HTMLUListElement;

  /** `units`: the user's units; `currentDevice`: the device the page shows, offered under "Rules for". */
  constructor(
    private readonly doc: Document,
    private readonly api: AlertsApi,
    changed: () => void,
    units: () => UnitChoice,
    currentDevice: () => string | null,
  ) {
    this.dialog = byId(doc, 'alerts-dialog');
    this.rules = new AlertRulesForm(doc, api, units, currentDevice, changed);
    this.channelsBox = byId(doc, 'alert-channels');
    this.channelsStatus = byId(doc, 'alert-channels-status');
    this.results = byId(doc, 'alert-test-results');
  }

  start(): void {
    byId(this.doc, 'alerts-dialog-close').addEventListener('click', () => this.close());
    this.rules.start();
    byId(this.doc, 'alert-channels-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveChannels();
    });
    byId(this.doc, 'alert-channels-test').addEventListener('click', () => void this.test());
  }

  open(): void {
    if (!this.dialog.open) this.dialog.showModal();
    this.rules.setStatus('');
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
      this.rules.show(rules, null);
      this.showChannels(channels.channels);
    } catch (error) {
      this.rules.setStatus(`The alert settings could not be read: ${(error as Error).message}.`);
    }
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
