import { byId, setText } from './dom.js';
import type { Permission } from './permission.js';
import type { MeResponse } from './types.js';

export interface AccountActions {
  logout(): void;
  openTokens(): void;
}

const ROLE_LABELS = { viewer: 'Viewer', operator: 'Operator', admin: 'Admin' } as const;

/** The top bar's account corner: who is logged in and their role, API tokens (admins) and Log out. */
export class AccountBar {
  private readonly box: HTMLElement;
  private readonly name: HTMLElement;
  private readonly role: HTMLElement;
  private readonly tokens: HTMLButtonElement;
  private readonly logout: HTMLButtonElement;

  constructor(
    doc: Document,
    private readonly actions: AccountActions,
  ) {
    this.box = byId(doc, 'account');
    this.name = byId(doc, 'account-name');
    this.role = byId(doc, 'account-role');
    this.tokens = byId(doc, 'tokens-open');
    this.logout = byId(doc, 'logout');
  }

  start(): void {
    this.logout.addEventListener('click', () => this.actions.logout());
    this.tokens.addEventListener('click', () => this.actions.openTokens());
  }

  /** Shows the user; hidden without one or when the dashboard has no logins (AUTH off). */
  show(me: MeResponse | null, permission: Permission | null): void {
    const shown = me !== null && me.auth === 'on';
    this.box.hidden = !shown;
    if (!me || !shown) return;
    setText(this.name, me.user.name);
    setText(this.role, ROLE_LABELS[me.user.role] ?? me.user.role);
    this.role.dataset.role = me.user.role;
    this.role.title = permission?.canCommand
      ? 'Your role lets you send commands and firmware updates'
      : 'Your role lets you see everything, but not send commands';
    this.tokens.hidden = !permission?.canManageAccess;
    // A token's session cannot be logged out of: it is sent with every request.
    this.logout.hidden = me.user.kind !== 'user';
  }
}
