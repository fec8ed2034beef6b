import type { Ack, Telemetry } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox, MemoryStorage } from '../../src/simulator/memory-storage.js';
import { COMMAND_MEMORY_LIMIT } from '../../src/state/command-memory.js';

const reading = ({ epoch, seq }: { epoch: string; seq: number }) => ({ epoch, seq }) as Telemetry;
const ack = (commandId: string): Ack => ({ command_id: commandId, status: 'applied' }) as Ack;

describe('MemoryOutbox', () => {
  it('numbers readings 0, 1, 2 … in its epoch and gives them oldest first', () => {
    const outbox = new MemoryOutbox('0123456789abcdef');
    for (let n = 0; n < 3; n += 1) outbox.add(reading);
    expect(outbox.peek(8)).toEqual([0, 1, 2].map((seq) => ({ epoch: '0123456789abcdef', seq })));
    expect(outbox.size).toBe(3);
  });

  it('forgets what the broker acknowledged, and nothing of another epoch', () => {
    const outbox = new MemoryOutbox('aaaaaaaaaaaaaaaa');
    for (let n = 0; n < 4; n += 1) outbox.add(reading);
    outbox.remove([
      { epoch: 'aaaaaaaaaaaaaaaa', seq: 0 },
      { epoch: 'aaaaaaaaaaaaaaaa', seq: 1 },
      { epoch: 'bbbbbbbbbbbbbbbb', seq: 2 },
    ]);
    expect(outbox.peek(8).map((item) => item.seq)).toEqual([2, 3]);
  });

  it('holds at most its bound, dropping and counting the oldest, and seq goes on without a gap', () => {
    const outbox = new MemoryOutbox('aaaaaaaaaaaaaaaa', 3);
    for (let n = 0; n < 5; n += 1) outbox.add(reading);
    expect(outbox.peek(8).map((item) => item.seq)).toEqual([2, 3, 4]);
    expect(outbox.dropped).toBe(2);
  });
});

describe('MemoryStorage', () => {
  it('begins a new epoch at each start (first_start)', () => {
    const one = new MemoryStorage();
    const two = new MemoryStorage();
    expect(one.epoch.reason).toBe('first_start');
    expect(one.epoch.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(two.epoch.epoch).not.toBe(one.epoch.epoch);
  });

  it("numbers a command's reading in the same sequence as scheduled ones, and remembers its ack", () => {
    const storage = new MemoryStorage();
    storage.takeReading(reading);
    const commanded = storage.applyCommand(
      { reading },
      { commandId: 'c-1', ack: ack('c-1'), receivedAt: null },
    );
    expect(commanded?.seq).toBe(1);
    expect(storage.recall('c-1')).toEqual(ack('c-1'));
    expect(storage.recall('c-2')).toBeNull();
  });

  it(`remembers the last ${COMMAND_MEMORY_LIMIT} acks, like a device`, () => {
    const storage = new MemoryStorage();
    for (let n = 0; n <= COMMAND_MEMORY_LIMIT; n += 1) {
      storage.rememberRejection({ commandId: `c-${n}`, ack: ack(`c-${n}`), receivedAt: null });
    }
    expect(storage.recall('c-0')).toBeNull();
    expect(storage.recall('c-1')).toEqual(ack('c-1'));
    expect(storage.recall(`c-${COMMAND_MEMORY_LIMIT}`)).toEqual(ack(`c-${COMMAND_MEMORY_LIMIT}`));
  });
});
