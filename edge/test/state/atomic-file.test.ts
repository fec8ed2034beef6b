import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from '../../src/state/atomic-file.js';
import { captureLogger, LEVEL } from './capture-logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates, then replaces a file, leaving no temporary file behind', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, '{"v":1}');
    expect(await readFile(path, 'utf8')).toBe('{"v":1}');
    await writeFileAtomic(path, Buffer.from('{"v":2}'));
    expect(await readFile(path, 'utf8')).toBe('{"v":2}');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('leaves the old content when the write cannot complete, and cleans its temporary file', async () => {
    // A directory in the way makes the final rename fail, as a crash before the rename would.
    const path = join(dir, 'blocked');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'old');
    await expect(writeFileAtomic(path, 'new')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['blocked']);
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe('old');
  });

  it('a crash mid-write leaves the old file intact; the stale temporary file is cleaned at load', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, JSON.stringify({ v: 1 }));
    // What a power cut during the write of the temporary file leaves: a partial temp file, no rename.
    await writeFile(`${path}.tmp-0123456789ab`, '{"v":2, "half');
    const { logger } = captureLogger();
    expect(await readJsonFile(path, logger)).toEqual({ v: 1 });
    expect(await removeStaleTempFiles(path)).toBe(1);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('does not remove temporary files of other files', async () => {
    const path = join(dir, 'state.json');
    await writeFile(join(dir, 'other.json.tmp-abc'), 'x');
    expect(await removeStaleTempFiles(path)).toBe(0);
    expect(await readdir(dir)).toEqual(['other.json.tmp-abc']);
  });
});

describe('readJsonFile', () => {
  it('gives null for a missing file, without a warning', async () => {
    const { logger, lines } = captureLogger();
    expect(await readJsonFile(join(dir, 'missing.json'), logger)).toBeNull();
    expect(lines).toEqual([]);
  });

  it('gives the parsed JSON', async () => {
    await writeFile(join(dir, 'a.json'), '{"a":[1,2]}');
    expect(await readJsonFile(join(dir, 'a.json'))).toEqual({ a: [1, 2] });
  });

  it('treats a broken file as absent, with a warning', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"firmware":"v1.');
    const { logger, at } = captureLogger();
    expect(await readJsonFile(path, logger)).toBeNull();
    expect(at(LEVEL.warn)).toHaveLength(1);
    expect(at(LEVEL.warn)[0]?.msg).toContain('not valid JSON');
  });
});
