import type { CommandOutcome } from './api.js';
import { setText } from './dom.js';

export type OutcomeState = 'idle' | 'pending' | 'ok' | 'warn' | 'error';

/** A command's result line under a form: its words, and a state the stylesheet colours. */
export function showOutcome(element: HTMLElement, state: OutcomeState, text: string): void {
  element.dataset.state = state;
  setText(element, text);
}

/** The words and state for an outcome that is not "applied" (each form words its own success). */
export function describeFailure(
  outcome: Exclude<CommandOutcome, { kind: 'applied' }>,
): [OutcomeState, string] {
  switch (outcome.kind) {
    case 'rejected':
      return ['error', `Rejected by the device: ${outcome.reason}`];
    case 'timeout':
      return ['warn', outcome.reason];
    case 'broker-down':
      return ['error', `Not sent: ${outcome.reason}`];
    case 'unknown-device':
      return ['error', `Not sent: ${outcome.reason}`];
    case 'invalid':
      return ['error', `Not sent: ${outcome.reason}`];
    case 'forbidden':
      return ['error', `Not sent: ${outcome.reason}`];
    default:
      return ['error', outcome.reason];
  }
}

export function clockTime(date: Date): string {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
