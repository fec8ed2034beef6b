import { EventEmitter } from 'node:events';
import type { DashboardEventMap, DashboardEventName } from './api-types.js';

type Listener<K extends DashboardEventName> = (payload: DashboardEventMap[K]) => void;

/** What happened in the fleet, in the order it happened: the source of the SSE stream and of ack waits. */
export class DashboardEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per SSE client and per waiting command: there is no fixed number.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends DashboardEventName>(name: K, payload: DashboardEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Returns the function that removes the listener. */
  on<K extends DashboardEventName>(name: K, listener: Listener<K>): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
