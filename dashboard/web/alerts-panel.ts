import { RULE_LABELS } from './alert-words.js';
import type { AlertsApi } from './alerts-api.js';
import type { Incident } from './alerts-types.js';
import { byId, h, setText } from './dom.js';
import { fullTime, relativeTime } from './format.js';
import { convert, METRIC, type UnitChoice, unitOf } from './units.js';

/** How often the list is read again while the dashboard is shown: one small request, whatever the fleet's size. */
export const ALERTS_POLL_MS = 15_000;
const SHOWN = 20;

/** A value of an incident, a temperature in the user's unit (the API's are °C). */
function show(value: number | null, unit: string, choice: UnitChoice): string {
  if (value === null) return '?';
  const celsius = unit === '°C';
  const shown = celsius ? convert(choice, 'temperature', value) : value;
  const shownUnit = celsius ? unitOf(choice, 'temperature') : unit;
  return `${Math.round(shown * 10) / 10}${shownUnit.startsWith('°') || shownUnit === '%' ? '' : ' '}${shownUnit}`;
}

/**
 * The alerts panel: open incidents first, then the most recent resolved ones, read from `GET /api/alerts`
 * when the dashboard starts and every ALERTS_POLL_MS (polling rather than the event stream: its cost is one
 * request per page and interval, not one event per device). Admins get the button to the rules and channels.
 */
export class AlertsPanel {
  private readonly panel: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLElement;
  private readonly count: HTMLElement;
  private readonly settings: HTMLButtonElement;
  private timer: number | null = null;
  private incidents: Incident[] = [];

  constructor(
    private readonly doc: Document,
    private readonly win: Window,
    private readonly api: AlertsApi,
    private readonly now: () => number,
    openSettings: () => void,
    private readonly units: () => UnitChoice = () => METRIC,
  ) {
    this.panel = byId(doc, 'alerts-panel');
    this.list = byId(doc, 'alerts-list');
    this.status = byId(doc, 'alerts-status');
    this.count = byId(doc, 'alerts-count');
    this.settings = byId(doc, 'alerts-settings');
    this.settings.addEventListener('click', openSettings);
  }

  /** Shown for a session; `admin`: the rules and channels button is offered. */
  start(admin: boolean): void {
    this.settings.hidden = !admin;
    this.panel.hidden = false;
    if (this.timer !== null) return;
    void this.reload();
    this.timer = this.win.setInterval(() => void this.reload(), ALERTS_POLL_MS);
  }

  stop(): void {
    if (this.timer !== null) this.win.clearInterval(this.timer);
    this.timer = null;
    this.incidents = [];
    this.list.replaceChildren();
    this.panel.hidden = true;
  }

  async reload(): Promise<void> {
    try {
      const page = await this.api.incidents(SHOWN);
      this.incidents = page.incidents;
      setText(this.count, String(page.open));
      this.panel.dataset.open = String(page.open);
      setText(
        this.status,
        page.total === 0
          ? 'No alert raised yet.'
          : page.open === 0
            ? `No open alert; ${page.total} resolved.`
            : `${page.open} open, ${page.total - page.open} resolved.`,
      );
      this.render();
    } catch (error) {
      setText(this.status, `The alerts could not be read: ${(error as Error).message}.`);
    }
  }

  /** Draws the list again (the user chose other units). */
  render(): void {
    const now = this.now();
    const choice = this.units();
    this.list.replaceChildren(
      ...this.incidents.map((incident) => {
        const open = incident.state === 'open';
        const when = open ? incident.opened_at : (incident.resolved_at ?? incident.opened_at);
        const limit =
          incident.threshold === null ? '' : ` (limit ${show(incident.threshold, incident.unit, choice)})`;
        return h(
          this.doc,
          'li',
          { class: 'alert-item', 'data-state': incident.state, 'data-rule': incident.rule },
          h(this.doc, 'span', { class: 'alert-badge' }, open ? 'Open' : 'Resolved'),
          h(
            this.doc,
            'span',
            { class: 'alert-what' },
            h(this.doc, 'strong', {}, RULE_LABELS[incident.rule] ?? incident.rule),
            ` on ${incident.device_id}: ${show(incident.value, incident.unit, choice)}${limit}`,
          ),
          h(
            this.doc,
            'time',
            { class: 'alert-when muted small', datetime: when, title: fullTime(when) },
            `${open ? 'since' : 'resolved'} ${relativeTime(when, now)}`,
          ),
        );
      }),
    );
  }
}
