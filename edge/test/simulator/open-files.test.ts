import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SIMULATOR_MAIN = fileURLToPath(new URL('../../dist/simulator/main.js', import.meta.url));

/** The compiled simulator under a limit of 200 open files (`ulimit -n 200` in the shell that starts it). */
describe('npm run simulate with too few file descriptors', () => {
  let broker: BrokerHandle;
  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('says what to do at start and on the first EMFILE, and prints a bounded number of device lines', async () => {
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        `ulimit -n 200 && exec "${process.execPath}" "${SIMULATOR_MAIN}" --devices 300 --rate 10000 --report 60`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          MQTT_BROKER: broker.host,
          MQTT_PORT: String(broker.port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: Array<{ level: number; msg: string; device_id?: string; code?: string }> = [];
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await expect
      .poll(() => lines.filter((line) => line.code === 'EMFILE').length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    // Give the other devices time to fail too: their lines stay within the bound.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    child.kill('SIGINT');
    await exited;

    expect(lines[0]).toMatchObject({ level: 40 });
    expect(lines[0]?.msg).toMatch(
      /^300 devices need about 364 open files \(one socket each\), and this process may open 200: raise the limit before starting \(ulimit -n 1024/,
    );
    const emfile = lines.filter((line) =>
      line.msg.startsWith('A device ran out of file descriptors (EMFILE).'),
    );
    expect(emfile).toHaveLength(1);
    expect(emfile[0]?.level).toBe(50);
    const deviceLines = lines.filter((line) => line.device_id !== undefined);
    expect(deviceLines.length).toBeGreaterThan(0);
    expect(deviceLines.length).toBeLessThanOrEqual(20);
    const summary = lines.find((line) => line.msg.startsWith('simulator stopped after'));
    expect(summary).toMatchObject({ devices: 300 });
    expect((summary as unknown as { problems: number }).problems).toBeGreaterThan(deviceLines.length);
  });
});
