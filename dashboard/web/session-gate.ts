import type { AccessApi } from './access-api.js';
import type { AccountBar } from './account-bar.js';
import type { DashboardPage } from './dashboard-page.js';
import { byId } from './dom.js';
import type { HttpClient } from './http.js';
import type { LoginView } from './login-view.js';
import type { PasswordView } from './password-view.js';
import { permissionFor } from './permission.js';
import type { TokensDialog } from './tokens-dialog.js';
import type { MeResponse } from './types.js';
import type { UnitPicker } from './unit-picker.js';

type Screen = 'loading' | 'login' | 'password' | 'dashboard';

export interface GateParts {
  http: HttpClient;
  access: AccessApi;
  page: DashboardPage;
  login: LoginView;
  password: PasswordView;
  account: AccountBar;
  tokens: TokensDialog;
  /** The alerts panel (and, for admins, its dialog), shown with the dashboard. */
  alerts: { start(admin: boolean): void; stop(): void };
  units: UnitPicker;
}

const RETRY_MS = 3000;
const REFRESH_AT_MOST_EVERY_MS = 2000;

/**
 * Which screen the page shows, from what `GET /api/me` says: the login (no session), "choose a new
 * password" (a generated one), or the dashboard with the user's role. Any 401 (a request, or the event
 * stream refused) ends the dashboard and returns to the login; a 403 re-reads the role.
 */
export class SessionGate {
  private screen: Screen = 'loading';
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRefresh = 0;

  constructor(
    private readonly doc: Document,
    private readonly parts: GateParts,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.parts.http.listen({
      unauthorized: () => this.sessionEnded('Your session has ended. Log in again to go on.'),
      forbidden: () => void this.refresh(),
    });
    void this.check();
  }

  /** After a login or a password change: who is it now? */
  async check(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const result = await this.parts.access.me();
    if (result.kind === 'signed-out') this.toLogin('');
    else if (result.kind === 'me') this.enter(result.me);
    else if (this.screen === 'loading' || this.screen === 'dashboard') {
      this.parts.page.showUnreachable(result.reason);
      this.retryTimer = setTimeout(() => void this.check(), RETRY_MS);
    }
  }

  async logout(): Promise<void> {
    const ended = await this.parts.access.logout();
    this.leaveDashboard();
    this.toLogin(
      ended
        ? 'You are logged out.'
        : 'The server could not be reached to end the session on it; it ends when it expires.',
    );
  }

  private sessionEnded(notice: string): void {
    if (this.screen === 'login') return;
    this.leaveDashboard();
    this.toLogin(notice);
  }

  /** A 403: the role may have changed, or a new password is required; read /api/me again. */
  private async refresh(): Promise<void> {
    if (this.now() - this.lastRefresh < REFRESH_AT_MOST_EVERY_MS || this.screen !== 'dashboard') return;
    this.lastRefresh = this.now();
    const result = await this.parts.access.me();
    if (result.kind === 'signed-out') this.sessionEnded('Your session has ended. Log in again to go on.');
    else if (result.kind === 'me') this.enter(result.me);
  }

  private enter(me: MeResponse): void {
    if (me.user.must_change_password) {
      this.leaveDashboard();
      this.show('password');
      this.parts.password.show(me.user.name);
      return;
    }
    const permission = permissionFor(me);
    const fromGate = this.screen === 'login' || this.screen === 'password';
    this.show('dashboard');
    this.parts.account.show(me, permission);
    // The user's units before the page draws anything.
    this.parts.units.useFor(me.user.name);
    this.parts.page.start(permission);
    this.parts.alerts.start(permission.role === 'admin');
    // The focused field of the login form is gone: a keyboard user goes on from the dashboard's start.
    if (fromGate) byId(this.doc, 'main').focus();
  }

  private toLogin(notice: string): void {
    this.show('login');
    this.parts.login.show(notice);
  }

  private leaveDashboard(): void {
    this.parts.tokens.close();
    this.parts.alerts.stop();
    this.parts.page.stop();
    this.parts.account.show(null, null);
    this.parts.units.useFor(null);
  }

  /** The login and password screens replace the whole page but its brand bar. */
  private show(screen: Screen): void {
    this.screen = screen;
    const gate = screen === 'login' || screen === 'password';
    byId(this.doc, 'gate').hidden = !gate;
    byId(this.doc, 'login-screen').hidden = screen !== 'login';
    byId(this.doc, 'password-screen').hidden = screen !== 'password';
    byId(this.doc, 'app-view').hidden = gate;
    byId(this.doc, 'skip-link').hidden = gate;
    byId(this.doc, 'connection').hidden = gate;
    this.doc.body.dataset.screen = screen;
    if (gate) this.doc.title = screen === 'login' ? 'Log in · Sensor Fleet' : 'New password · Sensor Fleet';
  }
}
