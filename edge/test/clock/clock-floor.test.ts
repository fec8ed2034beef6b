import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockFloor, FIRMWARE_RELEASE_DATE, LAST_SYNCED_FILE } from '../../src/clock/clock-floor.js';
import { captureLogger, LEVEL } from '../state/capture-logger.js';

describe('ClockFloor', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clock-floor-'));
    file = join(dir, LAST_SYNCED_FILE);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is the firmware's release date when nothing was kept", async () => {
    const { logger, lines } = captureLogger();
    const floor = new ClockFloor({ file, logger });
    await floor.load();
    expect(floor.value).toEqual(FIRMWARE_RELEASE_DATE);
    expect(lines).toEqual([]);
  });

  it('is the last synchronised time an earlier run kept, when later than the release date', async () => {
    const { logger } = captureLogger();
    const first = new ClockFloor({ file, logger });
    await first.load();
    await first.record(new Date('2027-03-04T05:06:07.000Z'));
    // Within a run the floor does not move: a small step back of a synchronised clock stays synchronised.
    expect(first.value).toEqual(FIRMWARE_RELEASE_DATE);
    expect(await readFile(file, 'utf8')).toBe('2027-03-04T05:06:07.000Z\n');

    const next = new ClockFloor({ file, logger });
    await next.load();
    expect(next.value).toEqual(new Date('2027-03-04T05:06:07.000Z'));
  });

  it('never writes a time earlier than one it already kept', async () => {
    const { logger } = captureLogger();
    const floor = new ClockFloor({ file, logger });
    await floor.record(new Date('2027-03-04T05:06:07.000Z'));
    await floor.record(new Date('2027-01-01T00:00:00.000Z'));
    expect(await readFile(file, 'utf8')).toBe('2027-03-04T05:06:07.000Z\n');
  });

  it('keeps the release date below a kept time that is earlier, and ignores a file that holds no date', async () => {
    const { logger, at } = captureLogger();
    await writeFile(file, '2020-01-01T00:00:00.000Z\n');
    const old = new ClockFloor({ file, logger });
    await old.load();
    expect(old.value).toEqual(FIRMWARE_RELEASE_DATE);

    await writeFile(file, ''); // a write torn by a power cut
    const torn = new ClockFloor({ file, logger });
    await torn.load();
    expect(torn.value).toEqual(FIRMWARE_RELEASE_DATE);
    expect(at(LEVEL.warn).map((line) => line.msg)).toEqual([
      `${file} does not hold a date; ignored (the clock floor is the firmware's release date until the clock is synchronised)`,
    ]);
  });

  it('logs a failing write once, keeps going, and says when writing works again', async () => {
    const { logger, at } = captureLogger();
    const missingDir = join(dir, 'not-yet');
    const floor = new ClockFloor({ file: join(missingDir, LAST_SYNCED_FILE), logger });
    await floor.record(new Date('2027-01-01T00:00:00.000Z'));
    await floor.record(new Date('2027-01-01T00:10:00.000Z'));
    expect(at(LEVEL.warn).map((line) => line.msg)).toEqual([
      'the last synchronised time could not be written; it is kept in memory and written again later',
    ]);
    await mkdir(missingDir);
    await floor.record(new Date('2027-01-01T00:20:00.000Z'));
    expect(at(LEVEL.info).map((line) => line.msg)).toEqual(['the last synchronised time is written again']);
    expect(await readFile(join(missingDir, LAST_SYNCED_FILE), 'utf8')).toBe('2027-01-01T00:20:00.000Z\n');
  });

  it('without a file keeps nothing and still gives the release date', async () => {
    const { logger, lines } = captureLogger();
    const floor = new ClockFloor({ file: null, logger, releaseDate: new Date('2030-01-01T00:00:00Z') });
    await floor.load();
    await floor.record(new Date('2031-01-01T00:00:00Z'));
    expect(floor.value).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(lines).toEqual([]);
  });
});
