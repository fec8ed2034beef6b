import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertLed } from '../../src/gpio/alert-led.js';
import type { GpioLike } from '../../src/gpio/types.js';
import {
  type FakeGpioChip,
  type FakeSysfs,
  KERNEL_6_6_PI4,
  makeFakeSysfs,
  OLD_KERNEL_PI3,
  PI5,
} from '../fixtures/fake-sysfs.js';
import { captureLogger } from '../sensor/log-capture.js';

/** Records what the LED code does to its GPIO lines. */
class FakeGpioFactory {
  readonly exported: number[] = [];
  readonly writes: Array<0 | 1> = [];
  unexported = 0;
  failWrites = 0;
  failExport: Error | null = null;

  readonly create = (sysfsNumber: number): GpioLike => {
    if (this.failExport) throw this.failExport;
    this.exported.push(sysfsNumber);
    return {
      write: async (value) => {
        if (this.failWrites > 0) {
          this.failWrites -= 1;
          throw new Error('EPERM: operation not permitted, write');
        }
        this.writes.push(value);
      },
      unexport: () => {
        this.unexported += 1;
      },
    };
  };
}

let sysfs: FakeSysfs | null = null;

async function tree(chips: FakeGpioChip[] | null): Promise<string> {
  sysfs = await makeFakeSysfs(chips);
  return sysfs.root;
}

afterEach(async () => {
  await sysfs?.cleanup();
  sysfs = null;
});

describe('createAlertLed', () => {
  it('without ALERT_LED_GPIO is a no-op LED and says so once at info', async () => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({ bcmPin: null, logger: log.logger, gpioFactory: gpio.create });
    await led.set(true);
    await led.close();
    expect(led.description).toBe('none');
    expect(gpio.exported).toEqual([]);
    expect(log.lines.map((line) => [line.level, line.msg])).toEqual([
      [30, 'no alert LED: ALERT_LED_GPIO not set'],
    ]);
  });

  it.each([
    { model: 'an old kernel', chips: OLD_KERNEL_PI3, sysfsNumber: 17, label: 'pinctrl-bcm2835' },
    { model: 'a 6.6 kernel on a Pi 4', chips: KERNEL_6_6_PI4, sysfsNumber: 529, label: 'pinctrl-bcm2711' },
    { model: 'a Pi 5', chips: PI5, sysfsNumber: 588, label: 'pinctrl-rp1' },
  ])('maps BCM 17 to sysfs gpio $sysfsNumber on $model', async ({ chips, sysfsNumber, label }) => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: 17,
      sysfsRoot: await tree(chips),
      gpioFactory: gpio.create,
      logger: log.logger,
    });
    expect(gpio.exported).toEqual([sysfsNumber]);
    expect(led.description).toBe(`BCM 17 (sysfs gpio ${sysfsNumber}, ${label})`);
    expect(log.at('info').map((line) => line.msg)).toEqual([`alert LED on ${led.description}`]);
    expect(log.at('warn')).toHaveLength(0);
  });

  it('writes only when the state changes, and turns off and unexports on close', async () => {
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: 17,
      sysfsRoot: await tree(KERNEL_6_6_PI4),
      gpioFactory: gpio.create,
      logger: captureLogger().logger,
    });
    for (const on of [false, true, true, false, false, true]) await led.set(on);
    expect(gpio.writes).toEqual([1, 0, 1]);
    await led.close();
    expect(gpio.writes).toEqual([1, 0, 1, 0]);
    expect(gpio.unexported).toBe(1);
    await led.set(true);
    await led.close();
    expect(gpio.writes).toEqual([1, 0, 1, 0]);
    expect(gpio.unexported).toBe(1);
  });

  it('does not write on close when the LED is already off', async () => {
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: 4,
      sysfsRoot: await tree(OLD_KERNEL_PI3),
      gpioFactory: gpio.create,
      logger: captureLogger().logger,
    });
    await led.close();
    expect(gpio.writes).toEqual([]);
    expect(gpio.unexported).toBe(1);
  });

  it('keeps going when a write fails: one warning, and the write is tried again next time', async () => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: 17,
      sysfsRoot: await tree(KERNEL_6_6_PI4),
      gpioFactory: gpio.create,
      logger: log.logger,
    });
    gpio.failWrites = 2;
    await led.set(true);
    await led.set(true);
    expect(gpio.writes).toEqual([]);
    expect(log.at('warn')).toHaveLength(1);
    await led.set(true);
    expect(gpio.writes).toEqual([1]);
  });

  it.each([
    {
      why: 'there is no GPIO sysfs interface',
      chips: null,
      expected: /class\/gpio not found, so this container has no GPIO sysfs interface/,
    },
    {
      why: 'no Raspberry Pi pin controller is listed',
      chips: [{ label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 }],
      expected: /no Raspberry Pi pin controller among the GPIO chips \(labels found: raspberrypi-exp-gpio;/,
    },
    {
      why: 'the pin is beyond the controller',
      chips: PI5,
      bcmPin: 54,
      expected: /ALERT_LED_GPIO=54 is not a pin of pinctrl-rp1, which has BCM 0 to 53/,
    },
  ])('is a no-op LED with ONE warning when $why', async ({ chips, bcmPin, expected }) => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: bcmPin ?? 17,
      sysfsRoot: await tree(chips),
      gpioFactory: gpio.create,
      logger: log.logger,
    });
    await led.set(true);
    await led.close();
    expect(led.description).toBe('none');
    expect(gpio.exported).toEqual([]);
    expect(log.lines).toHaveLength(1);
    expect(log.at('warn')[0]?.msg).toMatch(expected);
  });

  it('is a no-op LED with ONE warning when GPIO export is not accessible', async () => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    const led = await createAlertLed({
      bcmPin: 17,
      sysfsRoot: await tree(KERNEL_6_6_PI4),
      gpioFactory: gpio.create,
      gpioAccessible: () => false,
      logger: log.logger,
    });
    expect(led.description).toBe('none');
    expect(gpio.exported).toEqual([]);
    expect(log.lines).toHaveLength(1);
    expect(log.at('warn')[0]?.msg).toMatch(/class\/gpio\/export cannot be written/);
  });

  it('is a no-op LED with ONE warning when the export fails', async () => {
    const log = captureLogger();
    const gpio = new FakeGpioFactory();
    gpio.failExport = new Error('EBUSY: resource busy or locked, write');
    const led = await createAlertLed({
      bcmPin: 17,
      sysfsRoot: await tree(KERNEL_6_6_PI4),
      gpioFactory: gpio.create,
      logger: log.logger,
    });
    await led.set(true);
    expect(led.description).toBe('none');
    expect(log.lines).toHaveLength(1);
    expect(log.at('warn')[0]?.msg).toBe(
      'no alert LED on BCM 17: exporting sysfs gpio 529 failed: EBUSY: resource busy or locked, write',
    );
  });

  const realGpio = existsSync('/sys/class/gpio/export');
  it.skipIf(realGpio)(
    `uses onoff by default, which finds no GPIO here and says so instead of crashing${realGpio ? ' (SKIPPED: this machine has a real /sys/class/gpio, and the test would drive a real pin)' : ''}`,
    async () => {
      const log = captureLogger();
      const led = await createAlertLed({
        bcmPin: 17,
        sysfsRoot: await tree(KERNEL_6_6_PI4),
        logger: log.logger,
      });
      // The fake tree has a pin controller, but onoff always uses the real /sys/class/gpio/export.
      expect(led.description).toBe('none');
      expect(log.at('warn')).toHaveLength(1);
    },
  );
});
