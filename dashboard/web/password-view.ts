import type { AccessApi } from './access-api.js';
import { byId, setText } from './dom.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './types.js';

/**
 * "Choose a new password", shown before anything else to a user whose password was generated. Checks
 * what it can on the page (length, the two new ones equal), then asks the server. Every password field is
 * emptied once the form is sent, whatever the answer.
 */
export class PasswordView {
  private readonly form: HTMLFormElement;
  private readonly current: HTMLInputElement;
  private readonly next: HTMLInputElement;
  private readonly confirm: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly user: HTMLElement;
  private busy = false;

  constructor(
    doc: Document,
    private readonly access: AccessApi,
    private readonly onChanged: () => void,
    private readonly onLogout: () => void,
  ) {
    this.form = byId(doc, 'password-form');
    this.current = byId(doc, 'pw-current');
    this.next = byId(doc, 'pw-new');
    this.confirm = byId(doc, 'pw-confirm');
    this.submit = byId(doc, 'password-submit');
    this.error = byId(doc, 'password-error');
    this.user = byId(doc, 'password-user');
    byId(doc, 'password-logout').addEventListener('click', () => this.onLogout());
  }

  start(): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    for (const input of this.inputs()) input.addEventListener('input', () => this.fieldError(input, ''));
  }

  show(userName: string): void {
    setText(this.user, userName);
    setText(this.error, '');
    for (const input of this.inputs()) {
      input.value = '';
      this.fieldError(input, '');
    }
    this.current.focus();
  }

  private async send(): Promise<void> {
    if (this.busy) return;
    const current = this.current.value;
    const next = this.next.value;
    const confirm = this.confirm.value;
    for (const input of this.inputs()) input.value = '';
    setText(this.error, '');
    const problem = this.check(current, next, confirm);
    if (problem) {
      this.fieldError(problem[0], problem[1]);
      problem[0].focus();
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    const result = await this.access.changePassword(current, next);
    this.busy = false;
    this.submit.disabled = false;
    if (result.ok) {
      this.onChanged();
      return;
    }
    setText(this.error, `${result.reason} Enter the passwords again.`);
    this.current.focus();
  }

  /** The first field that is not right, and why. */
  private check(current: string, next: string, confirm: string): [HTMLInputElement, string] | null {
    if (!current) return [this.current, 'Enter the password you logged in with.'];
    if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) {
      return [this.next, `Use ${PASSWORD_MIN} to ${PASSWORD_MAX} characters (this one has ${next.length}).`];
    }
    if (next === current) return [this.next, 'Choose a password other than the one you were given.'];
    if (confirm !== next) return [this.confirm, 'The two new passwords are not the same.'];
    return null;
  }

  private fieldError(input: HTMLInputElement, message: string): void {
    const hint = input.ownerDocument.getElementById(`${input.id}-error`);
    if (hint) setText(hint, message);
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  private inputs(): HTMLInputElement[] {
    return [this.current, this.next, this.confirm];
  }
}
