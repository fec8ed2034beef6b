import { AccessApi } from './access-api.js';
import { AccountBar } from './account-bar.js';
import { AlertsApi } from './alerts-api.js';
import { AlertsDialog } from './alerts-dialog.js';
import { AlertsPanel } from './alerts-panel.js';
import { ApiClient } from './api.js';
import { DashboardPage } from './dashboard-page.js';
import { HttpClient } from './http.js';
import { LoginView } from './login-view.js';
import { PasswordView } from './password-view.js';
import { HashSelection } from './selection.js';
import { ServerClock } from './server-clock.js';
import { SessionGate } from './session-gate.js';
import { TokensDialog } from './tokens-dialog.js';
import { UnitPicker } from './unit-picker.js';
import { UnitPreference } from './unit-preference.js';

/** The page's one composition root: everything is built here and handed what it needs. */
function main(doc: Document, win: Window): void {
  // The server's clock, corrected from its answers: readings are filed by it, and the browser's may be off.
  const clock = new ServerClock(() => Date.now());
  const now = () => clock.now();
  const http = new HttpClient(win.fetch.bind(win), clock);
  const api = new ApiClient(http);
  const access = new AccessApi(http);
  const units = new UnitPreference(storageOf(win));
  // A refused event stream may be a session that ended: asking /api/me lets its 401 reach the gate.
  const page = new DashboardPage(doc, win, api, http, units, () => void access.probe(), now);
  const tokens = new TokensDialog(doc, access, win.navigator.clipboard, now);
  const alertsApi = new AlertsApi(http);
  const alertsDialog = new AlertsDialog(
    doc,
    alertsApi,
    () => void alertsPanel.reload(),
    () => units.choice,
    () => new HashSelection(win.location, win.history).read(),
  );
  const alertsPanel = new AlertsPanel(
    doc,
    win,
    alertsApi,
    now,
    () => alertsDialog.open(),
    () => units.choice,
  );
  units.subscribe(() => alertsPanel.render());
  const parts = {
    http,
    access,
    page,
    tokens,
    alerts: {
      start: (admin: boolean) => alertsPanel.start(admin),
      stop: () => {
        alertsDialog.close();
        alertsPanel.stop();
      },
    },
    units: new UnitPicker(doc, units),
    login: new LoginView(doc, access, () => void gate.check(), now),
    password: new PasswordView(
      doc,
      access,
      () => void gate.check(),
      () => void gate.logout(),
    ),
    account: new AccountBar(doc, { logout: () => void gate.logout(), openTokens: () => tokens.open() }),
  };
  const gate = new SessionGate(doc, parts, now);
  parts.login.start();
  parts.password.start();
  parts.account.start();
  parts.units.start();
  tokens.start();
  alertsDialog.start();
  gate.start();
}

/** The browser's localStorage, or null where it is refused (some private modes throw on access). */
function storageOf(win: Window): Storage | null {
  try {
    return win.localStorage;
  } catch {
    return null;
  }
}

main(document, window);
