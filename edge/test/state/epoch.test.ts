import { describe, expect, it } from 'vitest';
import { decideEpoch, newEpoch } from '../../src/state/epoch.js';

const make = () => 'ffffeeeeddddcccc';
const previous = { epoch: 'aaaabbbbccccdddd', epochReason: 'first_start' as const, seqNext: 42 };

describe('decideEpoch', () => {
  it('a clean stop continues the epoch, its reason and its seq', () => {
    expect(
      decideEpoch({ previous: { ...previous, cleanStop: true }, lost: false, upgraded: false }, make),
    ).toEqual({
      epoch: 'aaaabbbbccccdddd',
      reason: 'first_start',
      seqNext: 42,
      continued: true,
    });
  });

  it.each([
    [
      'an unclean stop',
      { previous: { ...previous, cleanStop: false }, lost: false, upgraded: false },
      'unclean_stop',
    ],
    ['a state that was there but is lost', { previous: null, lost: true, upgraded: true }, 'state_lost'],
    ["the previous release's state imported", { previous: null, lost: false, upgraded: true }, 'upgrade'],
    ['nothing at all', { previous: null, lost: false, upgraded: false }, 'first_start'],
  ] as const)('%s begins a new epoch from seq 0: %s', (_name, inputs, reason) => {
    expect(decideEpoch(inputs, make)).toEqual({
      epoch: 'ffffeeeeddddcccc',
      reason,
      seqNext: 0,
      continued: false,
    });
  });

  it('makes epochs of 16 random hex digits', () => {
    const epochs = new Set(Array.from({ length: 100 }, () => newEpoch()));
    expect(epochs.size).toBe(100);
    for (const epoch of epochs) expect(epoch).toMatch(/^[0-9a-f]{16}$/);
  });
});
