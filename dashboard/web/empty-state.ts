import { byId, setText } from './dom.js';

/** Why no device is shown: the server cannot be reached, the fleet is not known yet, or it has no device. */
export type EmptyReason = { kind: 'error'; detail: string } | { kind: 'loading' } | { kind: 'waiting' };

/** The card shown in place of a device when there is none to show. */
export class EmptyState {
  private readonly state: HTMLElement;
  private readonly title: HTMLElement;
  private readonly hint: HTMLElement;

  constructor(doc: Document) {
    this.state = byId(doc, 'empty-state');
    this.title = byId(doc, 'empty-title');
    this.hint = byId(doc, 'empty-hint');
  }

  show(reason: EmptyReason): void {
    this.state.dataset.kind = reason.kind;
    switch (reason.kind) {
      case 'error':
        setText(this.title, 'The dashboard server cannot be reached');
        setText(this.hint, `Retrying every few seconds (${reason.detail}).`);
        return;
      case 'loading':
        setText(this.title, 'Loading the fleet…');
        setText(this.hint, '');
        return;
      case 'waiting':
        setText(this.title, 'Waiting for devices…');
        setText(
          this.hint,
          'A device appears here as soon as it connects to the MQTT broker. Check that it is powered, ' +
            'online, and that its MQTT_BROKER setting points to this broker.',
        );
    }
  }
}
