import type { AccessApi } from './access-api.js';
import { byId, setText } from './dom.js';
import { TokenList } from './token-list.js';
import type { RoleName, TokenSummary } from './types.js';

/**
 * The API tokens dialog (admins): the list, a form to create one (its secret shown once, with a copy
 * button) and revoking. The secret is removed from the page when the dialog closes.
 */
export class TokensDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly form: HTMLFormElement;
  private readonly name: HTMLInputElement;
  private readonly role: HTMLSelectElement;
  private readonly create: HTMLButtonElement;
  private readonly formError: HTMLElement;
  private readonly secret: HTMLElement;
  private readonly secretTitle: HTMLElement;
  private readonly secretValue: HTMLInputElement;
  private readonly copyStatus: HTMLElement;
  private readonly status: HTMLElement;
  private readonly list: TokenList;
  private busy = false;

  constructor(
    private readonly doc: Document,
    private readonly access: AccessApi,
    private readonly clipboard: Clipboard | undefined,
    now: () => number,
  ) {
    this.dialog = byId(doc, 'tokens-dialog');
    this.form = byId(doc, 'token-form');
    this.name = byId(doc, 'token-name');
    this.role = byId(doc, 'token-role');
    this.create = byId(doc, 'token-create');
    this.formError = byId(doc, 'token-form-error');
    this.secret = byId(doc, 'token-secret');
    this.secretTitle = byId(doc, 'token-secret-title');
    this.secretValue = byId(doc, 'token-secret-value');
    this.copyStatus = byId(doc, 'token-copy-status');
    this.status = byId(doc, 'tokens-status');
    this.list = new TokenList(doc, byId(doc, 'token-list'), (token) => void this.revoke(token), now);
  }

  start(): void {
    this.list.start();
    byId(this.doc, 'tokens-close').addEventListener('click', () => this.close());
    this.dialog.addEventListener('close', () => this.forgetSecret());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.name.addEventListener('input', () => this.setFormError(''));
    byId(this.doc, 'token-copy').addEventListener('click', () => void this.copy());
  }

  open(): void {
    this.forgetSecret();
    this.setFormError('');
    if (!this.dialog.open) this.dialog.showModal();
    this.name.focus();
    void this.load();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
    this.forgetSecret();
  }

  private async load(): Promise<void> {
    setText(this.status, 'Loading the tokens…');
    try {
      const tokens = await this.access.tokens();
      this.list.show(tokens);
      const active = tokens.filter((token) => token.revoked_at === null).length;
      setText(
        this.status,
        tokens.length === 0 ? 'No API tokens yet.' : `${active} active, ${tokens.length - active} revoked`,
      );
    } catch (error) {
      setText(this.status, `The tokens could not be loaded: ${(error as Error).message}`);
    }
  }

  private async submit(): Promise<void> {
    if (this.busy) return;
    const name = this.name.value.trim();
    if (!name) {
      this.setFormError('Give the token a name that says what uses it, e.g. grafana.');
      this.name.focus();
      return;
    }
    this.busy = true;
    this.create.disabled = true;
    this.forgetSecret();
    try {
      const created = await this.access.createToken(name, this.role.value as RoleName);
      this.name.value = '';
      this.showSecret(created.info, created.token);
      await this.load();
    } catch (error) {
      this.setFormError((error as Error).message);
      this.name.focus();
    } finally {
      this.busy = false;
      this.create.disabled = false;
    }
  }

  private async revoke(token: TokenSummary): Promise<void> {
    setText(this.status, `Revoking ${token.name}…`);
    try {
      await this.access.revokeToken(token.id);
      await this.load();
      setText(this.status, `Token ${token.name} is revoked.`);
    } catch (error) {
      setText(this.status, `Token ${token.name} was not revoked: ${(error as Error).message}`);
    }
    this.name.focus();
  }

  private showSecret(info: TokenSummary, token: string): void {
    setText(
      this.secretTitle,
      `Token “${info.name}” (${info.role}) is created. Copy it now: it will not be shown again.`,
    );
    this.secretValue.value = token;
    setText(this.copyStatus, '');
    this.secret.hidden = false;
    this.secretValue.focus();
    this.secretValue.select();
  }

  private forgetSecret(): void {
    this.secretValue.value = '';
    this.secret.hidden = true;
    setText(this.copyStatus, '');
  }

  /** The clipboard API needs a secure context (https or localhost); elsewhere the text is selected to copy by hand. */
  private async copy(): Promise<void> {
    const value = this.secretValue.value;
    try {
      if (!this.clipboard) throw new Error('no clipboard');
      await this.clipboard.writeText(value);
      this.copyStatus.dataset.state = 'ok';
      setText(this.copyStatus, 'Copied to the clipboard.');
    } catch {
      this.secretValue.focus();
      this.secretValue.select();
      this.copyStatus.dataset.state = 'warn';
      setText(
        this.copyStatus,
        'The browser does not allow copying here: the token is selected, press Ctrl+C (⌘C).',
      );
    }
  }

  private setFormError(message: string): void {
    setText(this.formError, message);
    if (message) this.name.setAttribute('aria-invalid', 'true');
    else this.name.removeAttribute('aria-invalid');
  }
}
