import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADJTIMEX_COMMAND,
  MAXERROR_LIMIT_US,
  parseAdjtimexPrint,
  readKernelTimeState,
} from '../../src/clock/kernel-time.js';

/** `adjtimex --print` on a machine whose clock no daemon keeps (this build machine, status 64). */
const UNSYNCED = `         mode: 0
       offset: 0
    frequency: 0
     maxerror: 16000000
     esterror: 16000000
       status: 64
time_constant: 2
    precision: 1
    tolerance: 32768000
         tick: 10000
     raw time:  1796089771s 226353us = 1796089771.226353
 return value = 5
`;

/** The same on a Pi whose chrony keeps the clock (STA_PLL | STA_NANO, maxerror in the milliseconds). */
const SYNCED = UNSYNCED.replace('maxerror: 16000000', 'maxerror: 4500')
  .replace('status: 64', 'status: 8193')
  .replace('return value = 5', 'return value = 0');

describe('parseAdjtimexPrint', () => {
  it('says synchronised only with STA_UNSYNC clear and maxerror under 16 s', () => {
    expect(parseAdjtimexPrint(UNSYNCED)).toEqual({ status: 64, maxerrorUs: 16_000_000, synced: false });
    expect(parseAdjtimexPrint(SYNCED)).toEqual({ status: 8193, maxerrorUs: 4500, synced: true });
    // The flag cleared but the error estimate grown to the kernel's limit: nothing keeps the clock any more.
    const stale = SYNCED.replace('maxerror: 4500', `maxerror: ${MAXERROR_LIMIT_US}`);
    expect(parseAdjtimexPrint(stale)?.synced).toBe(false);
    // STA_UNSYNC set with a small error: still not synchronised.
    expect(parseAdjtimexPrint(SYNCED.replace('status: 8193', 'status: 8257'))?.synced).toBe(false);
  });

  it('gives null for output without both lines', () => {
    expect(parseAdjtimexPrint('')).toBeNull();
    expect(parseAdjtimexPrint('status: 64\n')).toBeNull();
    expect(parseAdjtimexPrint('adjtimex: unrecognized option\n')).toBeNull();
  });
});

describe('readKernelTimeState', () => {
  let dir: string;
  const script = async (name: string, body: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'adjtimex-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`reads the real kernel through ${ADJTIMEX_COMMAND} as the command line shows it`, async () => {
    // The edge image and CI install Debian's adjtimex; the kernel's answer depends on the machine, so the
    // test compares with the command's own output rather than with a fixed value.
    const printed = parseAdjtimexPrint(execFileSync(ADJTIMEX_COMMAND, ['--print'], { encoding: 'utf8' }));
    const state = await readKernelTimeState();
    expect(printed).not.toBeNull();
    expect(state.status).toBe(printed?.status);
    expect(state.synced).toBe(printed?.synced);
  });

  it('parses what the command prints', async () => {
    const path = await script('synced', `cat <<'EOF'\n${SYNCED}EOF`);
    await expect(readKernelTimeState(path)).resolves.toEqual({
      status: 8193,
      maxerrorUs: 4500,
      synced: true,
    });
  });

  it('rejects with a sentence when the command is missing, fails, or prints something else', async () => {
    await expect(readKernelTimeState(join(dir, 'nothing-here'))).rejects.toThrow(
      `${join(dir, 'nothing-here')} is not installed`,
    );
    const failing = await script('failing', 'echo "adjtimex: Operation not permitted" >&2; exit 1');
    await expect(readKernelTimeState(failing)).rejects.toThrow(`${failing} --print failed: Command failed`);
    const other = await script('other', 'echo hello');
    await expect(readKernelTimeState(other)).rejects.toThrow(
      `${other} --print gave no status and maxerror lines`,
    );
  });

  it('gives up on a command that hangs', async () => {
    const hanging = await script('hanging', 'exec sleep 30');
    const started = Date.now();
    await expect(readKernelTimeState(hanging, 300)).rejects.toThrow(/--print failed/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
