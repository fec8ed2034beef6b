import type { ApiClient } from './api.js';
import { byId, setText } from './dom.js';
import { otaStateLabel, relativeTime } from './format.js';
import { describeFailure, showOutcome } from './outcome.js';
import { type Permission, showReadOnly } from './permission.js';
import type { Ack, DeviceSummary, OtaStateName, OtaStatus } from './types.js';
import { FIRMWARE_VERSION_PATTERN } from './types.js';

const WAIT_SECONDS = 10;
const STEPS: readonly OtaStateName[] = ['downloading', 'verifying', 'installing', 'rebooting'];
const IN_PROGRESS = new Set<OtaStateName>(STEPS);

/**
 * The firmware panel: the running version, a form to start an update, and the update's progress
 * through its states as the device reports them in its status messages.
 */
export class OtaPanel {
  private readonly panel: HTMLElement;
  private readonly current: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly version: HTMLInputElement;
  private readonly versionError: HTMLElement;
  private readonly startButton: HTMLButtonElement;
  private readonly outcome: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly steps: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly barFill: HTMLElement;
  private readonly result: HTMLElement;
  private readonly resultTitle: HTMLElement;
  private readonly resultWhen: HTMLElement;
  private readonly resultDetail: HTMLElement;
  private readonly readOnly: HTMLElement;
  private canCommand = true;
  private shownState: OtaStateName | null = null;
  private device: DeviceSummary | null = null;
  private busy = false;

  constructor(
    doc: Document,
    private readonly api: ApiClient,
    private readonly onApplied: (ack: Ack) => void,
    private readonly now: () => number,
  ) {
    this.panel = byId(doc, 'ota-panel');
    this.current = byId(doc, 'ota-current');
    this.form = byId(doc, 'ota-form');
    this.version = byId(doc, 'ota-version');
    this.versionError = byId(doc, 'ota-version-error');
    this.startButton = byId(doc, 'ota-start');
    this.outcome = byId(doc, 'ota-outcome');
    this.progress = byId(doc, 'ota-progress');
    this.heading = byId(doc, 'ota-heading');
    this.steps = byId(doc, 'ota-steps');
    this.bar = byId(doc, 'ota-bar');
    this.barFill = byId(doc, 'ota-bar-fill');
    this.result = byId(doc, 'ota-result');
    this.resultTitle = byId(doc, 'ota-result-title');
    this.resultWhen = byId(doc, 'ota-result-when');
    this.resultDetail = byId(doc, 'ota-result-detail');
    this.readOnly = byId(doc, 'ota-readonly');
  }

  start(): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.version.addEventListener('input', () => this.setError(''));
  }

  show(device: DeviceSummary | null): void {
    if (device?.device_id !== this.device?.device_id) {
      showOutcome(this.outcome, 'idle', '');
      this.setError('');
      this.shownState = null;
    }
    this.device = device;
    setText(this.current, device?.firmware ?? '—');
    this.renderOta(device?.ota ?? null, device?.firmware ?? null);
    this.updateAvailability();
  }

  /** Re-renders the relative time of a finished update. */
  tick(): void {
    if (this.device?.ota) this.renderOta(this.device.ota, this.device.firmware);
  }

  /** A viewer sees the update form read-only, with the reason next to it. */
  setPermission(permission: Permission): void {
    this.canCommand = permission.canCommand;
    showReadOnly(this.readOnly, permission.firmwareReason);
    this.updateAvailability();
  }

  private updateAvailability(): void {
    const ota = this.device?.ota;
    const updating = Boolean(ota && IN_PROGRESS.has(ota.state));
    this.startButton.disabled = !this.device?.online || updating || this.busy || !this.canCommand;
    this.version.disabled = !this.device || this.busy || !this.canCommand;
  }

  private renderOta(ota: OtaStatus | null, firmware: string | null): void {
    const state = ota?.state ?? 'idle';
    this.panel.dataset.state = state;
    const running = IN_PROGRESS.has(state);
    this.progress.hidden = !running;
    this.result.hidden = running;
    if (state !== this.shownState) {
      // Once the update runs, its progress and result say more than "accepted".
      if (this.shownState !== null && this.outcome.dataset.state === 'ok')
        showOutcome(this.outcome, 'idle', '');
      this.shownState = state;
    }
    if (!ota || state === 'idle') {
      this.result.dataset.state = 'idle';
      setText(this.resultTitle, 'No update in progress');
      setText(this.resultWhen, '');
      setText(this.resultDetail, '');
      return;
    }

    if (running) {
      const from = ota.previous_version ? ` from ${ota.previous_version}` : '';
      setText(this.heading, `Updating to ${ota.target_version ?? 'a new version'}${from}`);
      const reached = STEPS.indexOf(state);
      for (const item of this.steps.querySelectorAll<HTMLElement>('li[data-step]')) {
        const index = STEPS.indexOf(item.dataset.step as OtaStateName);
        item.dataset.status = index < reached ? 'done' : index === reached ? 'current' : 'todo';
        if (index === reached) item.setAttribute('aria-current', 'step');
        else item.removeAttribute('aria-current');
      }
      const percent = Math.round(state === 'downloading' ? ota.progress : 100);
      this.bar.setAttribute('aria-valuenow', String(percent));
      this.bar.setAttribute('aria-valuetext', `${otaStateLabel(state)}, ${percent}% downloaded`);
      this.barFill.style.width = `${percent}%`;
      setText(byId(this.panel.ownerDocument, 'ota-percent'), `${percent}%`);
      return;
    }
    setText(this.resultWhen, `· ${relativeTime(ota.updated_at, this.now())}`);
    if (state === 'succeeded') {
      this.result.dataset.state = 'ok';
      setText(this.resultTitle, `Updated to ${ota.target_version ?? firmware ?? 'a new version'}`);
      setText(this.resultDetail, ota.previous_version ? `It was running ${ota.previous_version}.` : '');
    } else if (state === 'failed') {
      this.result.dataset.state = 'error';
      setText(this.resultTitle, `Update to ${ota.target_version ?? 'a new version'} failed`);
      setText(this.resultDetail, ota.error ?? 'The device gave no reason.');
    }
  }

  private setError(message: string): void {
    setText(this.versionError, message);
    if (message) this.version.setAttribute('aria-invalid', 'true');
    else this.version.removeAttribute('aria-invalid');
  }

  private async submit(): Promise<void> {
    const device = this.device;
    if (!device || this.busy) return;
    const target = this.version.value.trim();
    if (!FIRMWARE_VERSION_PATTERN.test(target)) {
      this.setError('Enter a version such as v1.1.0 (v, three numbers, optionally -tag).');
      this.version.focus();
      return;
    }
    this.setError('');
    this.busy = true;
    this.updateAvailability();
    showOutcome(this.outcome, 'pending', `Asking ${device.device_id} to install ${target}…`);
    const outcome = await this.api.command(device.device_id, { update_firmware: target }, WAIT_SECONDS);
    this.busy = false;
    if (this.device?.device_id === device.device_id) {
      if (outcome.kind === 'applied') {
        if (outcome.ack) this.onApplied(outcome.ack);
        showOutcome(this.outcome, 'ok', `The device accepted the update to ${target}.`);
      } else {
        showOutcome(this.outcome, ...describeFailure(outcome));
      }
    }
    this.updateAvailability();
  }
}
