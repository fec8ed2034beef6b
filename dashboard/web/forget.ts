import { byId, setText } from './dom.js';
import { errorSentence, type HttpClient } from './http.js';
import type { Permission } from './permission.js';

/** What became of a request to forget a device. */
export type ForgetOutcome =
  | { kind: 'forgotten' }
  | { kind: 'unknown-device'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * `DELETE /api/devices/:id`: the server forgets the device's registry entry, readings and delivery figures;
 * the command trail stays. Never throws.
 */
export async function forgetDevice(http: HttpClient, deviceId: string): Promise<ForgetOutcome> {
  let response: Response;
  try {
    response = await http.send(`/api/devices/${encodeURIComponent(deviceId)}`, { method: 'DELETE' });
  } catch {
    return { kind: 'failed', reason: 'The dashboard server could not be reached; nothing was forgotten.' };
  }
  switch (response.status) {
    case 204:
      return { kind: 'forgotten' };
    case 404:
      return { kind: 'unknown-device', reason: `The server no longer knows ${deviceId}.` };
    case 401:
      return { kind: 'failed', reason: 'Nothing was forgotten: your session has ended. Log in again.' };
    case 403:
      return { kind: 'failed', reason: 'Your role does not allow forgetting a device (operator or admin).' };
    default:
      return { kind: 'failed', reason: await errorSentence(response, `Forgetting ${deviceId}`) };
  }
}

/**
 * "Forget device…" on the selected device (operators and admins; hidden for viewers), with a confirmation
 * dialog. Forgetting removes the device's registry entry, readings and delivery figures; its command trail
 * stays. `onForgotten` hears the id once the server has forgotten it (or no longer knew it).
 */
export class ForgetDevice {
  private readonly button: HTMLButtonElement;
  private readonly dialog: HTMLDialogElement;
  private readonly name: HTMLElement;
  private readonly confirm: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly error: HTMLElement;
  private deviceId: string | null = null;
  private allowed = false;
  private busy = false;

  constructor(
    doc: Document,
    private readonly http: HttpClient,
    private readonly onForgotten: (deviceId: string) => void,
  ) {
    this.button = byId<HTMLButtonElement>(doc, 'forget-open');
    this.dialog = byId<HTMLDialogElement>(doc, 'forget-dialog');
    this.name = byId(doc, 'forget-name');
    this.confirm = byId<HTMLButtonElement>(doc, 'forget-confirm');
    this.error = byId(doc, 'forget-error');
    this.cancelButton = byId<HTMLButtonElement>(doc, 'forget-cancel');
  }

  start(): void {
    this.button.addEventListener('click', () => this.open());
    this.cancelButton.addEventListener('click', () => this.close());
    this.confirm.addEventListener('click', () => void this.forget());
    // Escape closes the dialog, but not while the request is under way.
    this.dialog.addEventListener('cancel', (event) => {
      if (this.busy) event.preventDefault();
    });
  }

  setPermission(permission: Permission): void {
    this.allowed = permission.canCommand;
    this.button.hidden = !this.allowed;
    if (!this.allowed) this.close();
  }

  /** The device the button forgets; the dialog closes if it was about another one. */
  show(deviceId: string | null): void {
    if (deviceId === this.deviceId) return;
    this.deviceId = deviceId;
    if (!this.busy) this.close();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }

  private open(): void {
    if (!this.allowed || !this.deviceId) return;
    setText(this.name, this.deviceId);
    setText(this.error, '');
    this.confirm.disabled = false;
    this.dialog.showModal();
    this.cancelButton.focus();
  }

  private async forget(): Promise<void> {
    const deviceId = this.deviceId;
    if (!deviceId || this.busy) return;
    this.busy = true;
    this.confirm.disabled = true;
    setText(this.error, '');
    const outcome = await forgetDevice(this.http, deviceId);
    this.busy = false;
    this.confirm.disabled = false;
    if (outcome.kind === 'failed') {
      setText(this.error, outcome.reason);
      return;
    }
    this.close();
    this.onForgotten(deviceId);
  }
}
