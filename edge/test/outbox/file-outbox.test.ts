import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTelemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileOutbox, type FileOutboxOptions, OUTBOX_FILE } from '../../src/outbox/file-outbox.js';
import { captureLogger, LEVEL } from '../state/capture-logger.js';
import { range, reading, seqsOf } from './telemetry-fixture.js';

let dir: string;
const opened: FileOutbox[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-outbox-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((outbox) => outbox.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openOutbox(options: Partial<FileOutboxOptions> = {}) {
  const log = captureLogger();
  const outbox = new FileOutbox({ dir, max: 1000, logger: log.logger, ...options });
  opened.push(outbox);
  await outbox.open();
  return { outbox, ...log };
}

const fileLines = async () => (await readFile(join(dir, OUTBOX_FILE), 'utf8')).split('\n').filter(Boolean);

describe('FileOutbox', () => {
  it('starts empty and gives readings back oldest first', async () => {
    const { outbox } = await openOutbox();
    expect(outbox.size).toBe(0);
    expect(outbox.peek(10)).toEqual([]);
    for (const seq of [3, 4, 5]) await outbox.enqueue(reading(seq));
    expect(outbox.size).toBe(3);
    expect(outbox.peek(2)).toEqual([reading(3), reading(4)]);
    expect(outbox.peek(10)).toEqual([reading(3), reading(4), reading(5)]);
  });

  it('keeps readings that still pass the telemetry schema', async () => {
    const { outbox } = await openOutbox();
    await outbox.enqueue(reading(1));
    const [item] = outbox.peek(1);
    expect(parseTelemetry(JSON.stringify(item))).toEqual({ ok: true, value: reading(1) });
  });

  it('has the reading on disk once enqueue resolves', async () => {
    const { outbox } = await openOutbox();
    await outbox.enqueue(reading(7));
    expect((await fileLines()).map((line) => JSON.parse(line))).toEqual([reading(7)]);
  });

  it('removes acknowledged readings by seq, wherever they are', async () => {
    const { outbox } = await openOutbox();
    for (const seq of range(0, 5)) await outbox.enqueue(reading(seq));
    expect(await outbox.remove([0, 1])).toBe(2);
    expect(await outbox.remove([3])).toBe(1);
    expect(seqsOf(outbox.peek(10))).toEqual([2, 4]);
    expect(outbox.size).toBe(2);
    expect(await outbox.remove([0, 99])).toBe(0);
  });

  it('shows a removal to peek() at once, before it is written', async () => {
    const { outbox } = await openOutbox();
    await outbox.enqueue(reading(1));
    await outbox.enqueue(reading(2));
    const written = outbox.remove([1]);
    expect(seqsOf(outbox.peek(10))).toEqual([2]);
    await written;
  });

  it('refuses a second reading with a seq already queued', async () => {
    const { outbox } = await openOutbox();
    await outbox.enqueue(reading(1));
    await expect(outbox.enqueue(reading(1))).rejects.toThrow('seq 1 is already in the outbox');
    expect(outbox.size).toBe(1);
  });

  it('refuses work before open() and after close()', async () => {
    const outbox = new FileOutbox({ dir, max: 10, logger: captureLogger().logger });
    await expect(outbox.enqueue(reading(1))).rejects.toThrow('not open');
    await outbox.open();
    await expect(outbox.open()).rejects.toThrow('only be called once');
    await outbox.close();
    await expect(outbox.enqueue(reading(1))).rejects.toThrow('closed');
    await expect(outbox.remove([1])).rejects.toThrow('closed');
  });

  it('creates its directory', async () => {
    const nested = join(dir, 'a', 'b');
    const outbox = new FileOutbox({ dir: nested, max: 10, logger: captureLogger().logger });
    await outbox.open();
    await outbox.enqueue(reading(1));
    await outbox.close();
    expect(await readFile(join(nested, OUTBOX_FILE), 'utf8')).toContain('"seq":1');
  });
});

describe('FileOutbox write failure', () => {
  it('rejects the enqueue, keeps the reading queued, and writes it with the next rewrite', async () => {
    const { outbox, at } = await openOutbox();
    await outbox.enqueue(reading(1));
    const probe = await open(join(dir, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { appendFile: (...args: unknown[]) => Promise<void> };
    await probe.close();
    const spy = vi.spyOn(fileHandle, 'appendFile').mockRejectedValueOnce(new Error('EIO: i/o error'));
    try {
      await expect(outbox.enqueue(reading(2))).rejects.toThrow('EIO');
    } finally {
      spy.mockRestore();
    }
    expect(at(LEVEL.error)).toHaveLength(1);
    expect(seqsOf(outbox.peek(10))).toEqual([1, 2]);
    await outbox.enqueue(reading(3));
    expect((await fileLines()).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
  });
});

describe('FileOutbox across restarts', () => {
  it('a new instance on the same directory sees the queue, in order, without what was removed', async () => {
    const first = (await openOutbox()).outbox;
    for (const seq of range(10, 20)) await first.enqueue(reading(seq));
    await first.remove([10, 11, 15]);
    await first.close();

    const second = (await openOutbox()).outbox;
    expect(seqsOf(second.peek(100))).toEqual([12, 13, 14, 16, 17, 18, 19]);
    await second.enqueue(reading(20));
    await second.remove([12]);
    await second.close();

    const third = (await openOutbox()).outbox;
    expect(seqsOf(third.peek(100))).toEqual([13, 14, 16, 17, 18, 19, 20]);
  });

  it('keeps every enqueued reading after a crash (no close)', async () => {
    const first = (await openOutbox()).outbox;
    for (const seq of range(0, 5)) await first.enqueue(reading(seq));
    // No close(): the process dies here.
    const second = new FileOutbox({ dir, max: 1000, logger: captureLogger().logger });
    opened.push(second);
    await second.open();
    expect(seqsOf(second.peek(10))).toEqual(range(0, 5));
  });

  it('skips a torn last line with a warning and rewrites the file clean', async () => {
    const path = join(dir, OUTBOX_FILE);
    await writeFile(
      path,
      `${JSON.stringify(reading(1))}\n${JSON.stringify(reading(2))}\n{"device_id":"pi-test","se`,
    );
    const { outbox, at } = await openOutbox();
    expect(seqsOf(outbox.peek(10))).toEqual([1, 2]);
    expect(at(LEVEL.warn)).toHaveLength(1);
    expect(at(LEVEL.warn)[0]).toMatchObject({ lines: [3], count: 1 });
    // The next append starts on a line of its own.
    await outbox.enqueue(reading(3));
    await outbox.close();
    expect((await fileLines()).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
    const again = (await openOutbox()).outbox;
    expect(seqsOf(again.peek(10))).toEqual([1, 2, 3]);
  });

  it('skips unreadable lines anywhere, and lines that are not readings', async () => {
    const path = join(dir, OUTBOX_FILE);
    const lines = [JSON.stringify(reading(1)), 'garbage', '{"hello":1}', '[1,2]', JSON.stringify(reading(2))];
    await writeFile(path, `${lines.join('\n')}\n`);
    const { outbox, at } = await openOutbox();
    expect(seqsOf(outbox.peek(10))).toEqual([1, 2]);
    expect(at(LEVEL.warn)[0]).toMatchObject({ lines: [2, 3, 4], count: 3 });
  });

  it('a complete last line without its newline is kept', async () => {
    await writeFile(join(dir, OUTBOX_FILE), `${JSON.stringify(reading(1))}\n${JSON.stringify(reading(2))}`);
    const { outbox, at } = await openOutbox();
    expect(seqsOf(outbox.peek(10))).toEqual([1, 2]);
    expect(at(LEVEL.warn)).toHaveLength(0);
    await outbox.enqueue(reading(3));
    expect((await fileLines()).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
  });

  it('a reading written twice (e.g. appended during a rewrite) counts once', async () => {
    const line = JSON.stringify(reading(5));
    await writeFile(join(dir, OUTBOX_FILE), `${line}\n${line}\n`);
    const { outbox } = await openOutbox();
    expect(outbox.size).toBe(1);
  });
});

describe('FileOutbox bound', () => {
  it('drops the oldest reading when full, counts it, and warns at most once a minute', async () => {
    let now = 0;
    const { outbox, at } = await openOutbox({ max: 5, now: () => now });
    for (const seq of range(0, 8)) await outbox.enqueue(reading(seq));
    expect(outbox.size).toBe(5);
    expect(outbox.dropped).toBe(3);
    expect(seqsOf(outbox.peek(10))).toEqual([3, 4, 5, 6, 7]);
    expect(at(LEVEL.warn)).toHaveLength(1);

    now = 61_000;
    await outbox.enqueue(reading(8));
    await outbox.enqueue(reading(9));
    const warns = at(LEVEL.warn);
    expect(warns).toHaveLength(2);
    expect(warns[1]).toMatchObject({ droppedTotal: 4, dropped: 3 });
    expect(outbox.dropped).toBe(5);
  });

  it('what was dropped stays dropped after a restart', async () => {
    const first = (await openOutbox({ max: 5 })).outbox;
    for (const seq of range(0, 9)) await first.enqueue(reading(seq));
    await first.close();
    const second = (await openOutbox({ max: 5 })).outbox;
    expect(seqsOf(second.peek(10))).toEqual([4, 5, 6, 7, 8]);
    expect(second.dropped).toBe(0);
  });

  it('a smaller OUTBOX_MAX at the next start drops the oldest, with a warning', async () => {
    const first = (await openOutbox({ max: 10 })).outbox;
    for (const seq of range(0, 10)) await first.enqueue(reading(seq));
    await first.close();
    const { outbox, at } = await openOutbox({ max: 4 });
    expect(seqsOf(outbox.peek(10))).toEqual([6, 7, 8, 9]);
    expect(outbox.dropped).toBe(6);
    expect(at(LEVEL.warn)[0]).toMatchObject({ dropped: 6, max: 4 });
  });
});

describe('FileOutbox compaction', () => {
  it('rewrites the file once acknowledged lines outnumber the queued ones', async () => {
    const { outbox } = await openOutbox({ compactAfter: 20 });
    for (const seq of range(0, 100)) {
      await outbox.enqueue(reading(seq));
      if (seq % 2 === 1) await outbox.remove([seq - 1, seq]);
    }
    await outbox.enqueue(reading(100));
    // Without compaction the file would hold 100 readings and 50 removal lines.
    const lines = await fileLines();
    expect(lines.length).toBeLessThan(30);
    await outbox.close();
    const again = (await openOutbox()).outbox;
    expect(seqsOf(again.peek(10))).toEqual([100]);
  });

  it('keeps queued readings in order through compactions', async () => {
    const { outbox } = await openOutbox({ compactAfter: 10 });
    for (const seq of range(0, 60)) await outbox.enqueue(reading(seq));
    for (const seq of range(0, 60)) if (seq % 3 !== 0) await outbox.remove([seq]);
    await outbox.enqueue(reading(60));
    const expected = [...range(0, 60).filter((seq) => seq % 3 === 0), 60];
    expect(seqsOf(outbox.peek(100))).toEqual(expected);
    expect((await fileLines()).length).toBeLessThan(60);
    await outbox.close();
    expect(seqsOf((await openOutbox()).outbox.peek(100))).toEqual(expected);
  });

  it('loses nothing when readings are enqueued while a compaction is running', async () => {
    const { outbox } = await openOutbox({ compactAfter: 5 });
    const all = range(0, 300);
    const pending: Promise<unknown>[] = [];
    for (const seq of all) {
      pending.push(outbox.enqueue(reading(seq)));
      if (seq % 4 === 3) pending.push(outbox.remove([seq - 3]));
    }
    await Promise.all(pending);
    const expected = all.filter((seq) => seq % 4 !== 0);
    expect(seqsOf(outbox.peek(1000))).toEqual(expected);
    await outbox.close();
    expect(seqsOf((await openOutbox()).outbox.peek(1000))).toEqual(expected);
  });
});

describe('FileOutbox volume', () => {
  it('takes 10 000 readings and delivers each once, in seq order, then is empty after a restart', async () => {
    const { outbox } = await openOutbox({ max: 20_000 });
    const total = 10_000;
    for (let start = 0; start < total; start += 500) {
      await Promise.all(range(start, start + 500).map((seq) => outbox.enqueue(reading(seq))));
    }
    expect(outbox.size).toBe(total);
    const delivered: number[] = [];
    while (outbox.size > 0) {
      const batch = seqsOf(outbox.peek(100));
      delivered.push(...batch);
      await outbox.remove(batch);
    }
    expect(delivered).toEqual(range(0, total));
    await outbox.close();
    const again = (await openOutbox()).outbox;
    expect(again.size).toBe(0);
  });
});
