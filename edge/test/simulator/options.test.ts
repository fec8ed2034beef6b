import {
  DEVICE_ID_ACCEPTED,
  DeviceCredentialsError,
  formatDeviceCredentials,
  parseDeviceCredentials,
} from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { DeviceLogs } from '../../src/simulator/device-logs.js';
import { fdLimitAdvice, fitsUnder, openFileLimit } from '../../src/simulator/fd-limit.js';
import { parseSimulatorArgs } from '../../src/simulator/options.js';

describe('npm run simulate options', () => {
  it('has defaults, and reads every option', () => {
    expect(parseSimulatorArgs([])).toEqual({
      kind: 'run',
      options: {
        devices: 10,
        interval: 5,
        prefix: 'sim-',
        first: 1,
        rate: 500,
        reportEvery: 5,
        credentials: null,
      },
    });
    expect(
      parseSimulatorArgs([
        '--devices',
        '10000',
        '--interval',
        '1',
        '--prefix',
        'lab-',
        '--first',
        '0',
        '--rate',
        '50',
        '--report',
        '2',
        '--credentials',
        'c.csv',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        devices: 10000,
        interval: 1,
        prefix: 'lab-',
        first: 0,
        rate: 50,
        reportEvery: 2,
        credentials: 'c.csv',
      },
    });
  });

  it.each([
    [['--devices', '0'], 'Option --devices received "0"; accepted: a whole number from 1 to 50000.'],
    [['--devices', '1.5'], 'Option --devices received "1.5"; accepted: a whole number from 1 to 50000.'],
    [['--interval', '61'], 'Option --interval received "61"; accepted: a whole number from 1 to 60.'],
    [['--rate', 'fast'], 'Option --rate received "fast"; accepted: a whole number from 1 to 10000.'],
    [['--report', ''], 'Option --report received ""; accepted: a whole number from 1 to 3600.'],
    [['--credentials', ' '], 'Option --credentials received " "; accepted: a file path.'],
    [
      ['--prefix=-x'],
      `Option --prefix received "-x", which makes device id "-x00001"; accepted: a prefix that makes ${DEVICE_ID_ACCEPTED}.`,
    ],
    [['--devices'], 'Option --devices received nothing; accepted: a value after it (see --help).'],
    [
      ['--count', '3'],
      'Option --count is not accepted; accepted options: --devices, --interval, --prefix, --first, --rate, --report, --credentials, --help.',
    ],
  ])('%j → one sentence', (argv, error) => {
    expect(parseSimulatorArgs(argv)).toEqual({ kind: 'error', error });
  });
});

describe('device credentials file', () => {
  it('reads what it writes', () => {
    const lines = [{ deviceId: 'sim-00001', username: 'sim-00001', password: 'p_-1' }];
    expect([...parseDeviceCredentials(formatDeviceCredentials(lines), 'f').values()]).toEqual(lines);
  });

  it.each([
    ['', 'f is empty; accepted: the header "device_id,username,password" and one line per device.'],
    [
      'device_id,username,password\nsim-1,sim-1\n',
      'f line 2 has 2 field(s); accepted: device_id,username,password, none empty.',
    ],
    [
      'device_id,username,password\nsim 1,a,b\n',
      `f line 2 has device id "sim 1"; accepted: ${DEVICE_ID_ACCEPTED}.`,
    ],
    [
      'device_id,username,password\na,a,b\na,a,c\n',
      'f line 3 has device id "a" a second time; accepted: each device once.',
    ],
  ])('%j → one sentence', (text, error) => {
    expect(() => parseDeviceCredentials(text, 'f')).toThrow(new DeviceCredentialsError(error));
  });
});

describe('device logs', () => {
  it('counts every warning and prints at most the bound per period', () => {
    let emfile = 0;
    const logs = new DeviceLogs({ linesPerPeriod: 2, onEmfile: () => (emfile += 1) });
    const log = logs.forDevice('sim-00001');
    for (let n = 0; n < 5; n += 1) log.warn({ code: 'EMFILE' }, 'no socket');
    log.info('not a problem');
    expect(logs.problems).toBe(5);
    expect(emfile).toBe(1);
    expect(logs.nextPeriod()).toBe(3);
    expect(logs.nextPeriod()).toBe(0);
  });
});

describe('open files limit', () => {
  it('reads the soft limit and says what to do when it is too low', () => {
    expect(openFileLimit()).toBeGreaterThan(0);
    expect(openFileLimit('/nonexistent')).toBeNull();
    expect(fitsUnder(1024, 1000)).toBe(false);
    expect(fitsUnder(20_000, 10_000)).toBe(true);
    expect(fdLimitAdvice(1024, 10_000)).toContain('ulimit -n 10240');
  });
});
