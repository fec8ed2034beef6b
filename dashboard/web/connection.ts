import { byId, setText } from './dom.js';
import type { ConnectionState } from './sse.js';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/** The live-connection indicator in the top bar, and the banner shown while the stream is down. */
export class ConnectionIndicator {
  private readonly pill: HTMLElement;
  private readonly label: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly brokerBanner: HTMLElement;
  private downSince: number | null = null;
  private state: ConnectionState = 'connecting';
  private brokerUp = true;

  constructor(
    doc: Document,
    private readonly now: () => number,
  ) {
    this.pill = byId(doc, 'connection');
    this.label = byId(doc, 'connection-label');
    this.banner = byId(doc, 'connection-banner');
    this.brokerBanner = byId(doc, 'broker-banner');
  }

  /** What the server says of its MQTT broker; null (it cannot tell) changes nothing. */
  showBroker(connected: boolean | null): void {
    if (connected === null || connected === this.brokerUp) return;
    this.brokerUp = connected;
    this.render();
  }

  show(state: ConnectionState): void {
    this.state = state;
    if (state !== 'live') this.downSince ??= this.now();
    if (state === 'live') this.downSince = null;
    this.render();
  }

  private render(): void {
    const brokerDown = this.state === 'live' && !this.brokerUp;
    this.pill.dataset.state = brokerDown ? 'broker-down' : this.state;
    setText(this.label, brokerDown ? 'Broker offline' : LABELS[this.state]);
    this.pill.title = brokerDown
      ? 'The dashboard server cannot reach the MQTT broker'
      : this.state === 'live'
        ? 'Receiving live updates from the dashboard server'
        : 'Not receiving live updates';
    this.brokerBanner.hidden = !brokerDown;
    // A short blip is not worth a banner; a lasting outage is.
    this.tick();
  }

  tick(): void {
    const down = this.downSince !== null && this.now() - this.downSince >= 2000;
    this.banner.hidden = !down;
  }
}
