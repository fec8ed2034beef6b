import type { AccessApi } from './access-api.js';
import { byId, setText } from './dom.js';

/**
 * The login screen: user name and password, the server's sentence when it refuses (a wrong password, or
 * too many attempts, with the wait counted down), and `onLoggedIn` once the session cookie is set. The
 * password field is emptied as soon as the form is sent: the page keeps no password.
 */
export class LoginView {
  private readonly form: HTMLFormElement;
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly wait: HTMLElement;
  private busy = false;
  private waitUntil = 0;
  private waitTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    doc: Document,
    private readonly access: AccessApi,
    private readonly onLoggedIn: () => void,
    private readonly now: () => number,
  ) {
    this.form = byId(doc, 'login-form');
    this.username = byId(doc, 'login-username');
    this.password = byId(doc, 'login-password');
    this.submit = byId(doc, 'login-submit');
    this.error = byId(doc, 'login-error');
    this.notice = byId(doc, 'login-notice');
    this.wait = byId(doc, 'login-wait');
  }

  start(): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
  }

  /** Shows the screen with `notice` (why it is shown: logged out, session ended), focused on the first empty field. */
  show(notice: string): void {
    setText(this.notice, notice);
    this.notice.hidden = notice === '';
    setText(this.error, '');
    this.password.value = '';
    (this.username.value ? this.password : this.username).focus();
  }

  private async send(): Promise<void> {
    if (this.busy || this.now() < this.waitUntil) return;
    const username = this.username.value.trim();
    const password = this.password.value;
    this.password.value = '';
    if (!username || !password) {
      this.showError('Enter your user name and your password.');
      (username ? this.password : this.username).focus();
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    setText(this.error, '');
    setText(this.notice, '');
    this.notice.hidden = true;
    const result = await this.access.login(username, password);
    this.busy = false;
    this.submit.disabled = false;
    if (result.ok) {
      this.onLoggedIn();
      return;
    }
    this.showError(result.reason);
    if (result.retryAfterS !== null) this.holdFor(result.retryAfterS);
    this.password.focus();
  }

  private showError(sentence: string): void {
    setText(this.error, sentence);
  }

  /** Too many attempts: the button waits as long as the server says, and the wait is counted down. */
  private holdFor(seconds: number): void {
    this.waitUntil = this.now() + seconds * 1000;
    this.submit.disabled = true;
    if (this.waitTimer) clearInterval(this.waitTimer);
    const update = () => {
      const left = Math.ceil((this.waitUntil - this.now()) / 1000);
      if (left > 0) {
        setText(this.wait, `You can try again in ${left} s.`);
        return;
      }
      if (this.waitTimer) clearInterval(this.waitTimer);
      this.waitTimer = null;
      setText(this.wait, '');
      this.submit.disabled = false;
    };
    update();
    this.waitTimer = setInterval(update, 1000);
  }
}
