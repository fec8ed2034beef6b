import { GroupCommit } from '@fleet/dashboard';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../server/fixtures.js';

/** A writer whose commits the test releases one by one, as a database over the network answers. */
function manualWriter() {
  const calls: Array<{ items: number[]; commit: () => void; fail: (error: Error) => void }> = [];
  const write = (items: readonly number[]) =>
    new Promise<number>((resolve, reject) => {
      calls.push({ items: [...items], commit: () => resolve(items.length), fail: reject });
    });
  return { calls, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit with an asynchronous writer (PostgreSQL)', () => {
  it('resolves a message only once its group committed, writes one group at a time, and keeps what arrives meanwhile for the next group', async () => {
    const { calls, write } = manualWriter();
    const applied: number[][] = [];
    const commits = new GroupCommit<number, number>({
      write,
      afterWrite: (items) => applied.push([...items]),
      maxGroup: 3,
      logger: capturingLogger().logger,
    });
    const acked: number[] = [];
    const add = (n: number) => void commits.add(n).then(() => acked.push(n));
    add(1);
    add(2);
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    // Arriving while the first group's COMMIT is under way: not in that group, and not acknowledged with it.
    add(3);
    add(4);
    await turn();
    expect(commits.flush()).toBe(false);
    expect([calls.length, acked, commits.pending]).toEqual([1, [], 4]);
    calls[0]?.commit();
    await turn();
    expect(acked).toEqual([1, 2]);
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    calls[1]?.commit();
    await commits.settled();
    await turn();
    expect([acked, applied, commits.pending]).toEqual([
      [1, 2, 3, 4],
      [
        [1, 2],
        [3, 4],
      ],
      0,
    ]);
  });

  it('a failed COMMIT acknowledges nothing, is said once, and the group is written again with back-off', async () => {
    const { calls, write } = manualWriter();
    const { logger, lines } = capturingLogger('info');
    const commits = new GroupCommit<number, number>({
      write,
      afterWrite: () => {},
      maxGroup: 10,
      logger,
      retryInitialMs: 20,
    });
    const acked: number[] = [];
    void commits.add(7).then(() => acked.push(7));
    await turn();
    calls[0]?.fail(Object.assign(new Error('connection to server was lost'), { code: '57P01' }));
    await turn();
    expect(commits.failing?.reason).toBe('57P01: connection to server was lost');
    expect(acked).toEqual([]);
    // Arriving during the failure: kept with the group that waits, written with it.
    void commits.add(8).then(() => acked.push(8));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls.map((c) => c.items)).toEqual([[7], [7, 8]]);
    calls[1]?.commit();
    await commits.settled();
    await turn();
    expect([acked, commits.failing, commits.pending]).toEqual([[7, 8], null, 0]);
    const said = lines.map((line) => line.msg as string);
    expect(said.filter((msg) => msg.startsWith('The database cannot be written'))).toHaveLength(1);
    expect(said).toContain(
      'The database can be written again; the messages that waited are being stored and acknowledged',
    );
    commits.stop();
  });
});
