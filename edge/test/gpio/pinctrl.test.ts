import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPinctrlBase, listGpioChips } from '../../src/gpio/pinctrl.js';
import {
  type FakeGpioChip,
  type FakeSysfs,
  KERNEL_6_6_PI4,
  makeFakeSysfs,
  OLD_KERNEL_PI3,
  OLD_KERNEL_PI4,
  PI5,
} from '../fixtures/fake-sysfs.js';

let sysfs: FakeSysfs | null = null;

async function tree(chips: FakeGpioChip[] | null): Promise<string> {
  sysfs = await makeFakeSysfs(chips);
  return sysfs.root;
}

afterEach(async () => {
  await sysfs?.cleanup();
  sysfs = null;
});

describe('findPinctrlBase', () => {
  it.each([
    { model: 'a Pi 3 on an old kernel', chips: OLD_KERNEL_PI3, label: 'pinctrl-bcm2835', base: 0, ngpio: 54 },
    { model: 'a Pi 4 on an old kernel', chips: OLD_KERNEL_PI4, label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
    { model: 'a Pi 4 on kernel 6.6+', chips: KERNEL_6_6_PI4, label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { model: 'a Pi 5', chips: PI5, label: 'pinctrl-rp1', base: 571, ngpio: 54 },
  ])('finds the header controller of $model: $label at base $base', async ({ chips, label, base, ngpio }) => {
    const root = await tree(chips);
    expect(await findPinctrlBase(root)).toEqual({ name: `gpiochip${base}`, label, base, ngpio });
  });

  it('ignores chips that are not the header controller', async () => {
    const root = await tree([{ label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 }]);
    expect(await findPinctrlBase(root)).toBeNull();
  });

  it('gives null without a GPIO sysfs interface', async () => {
    const root = await tree(null);
    expect(await findPinctrlBase(root)).toBeNull();
    expect(await listGpioChips(root)).toBeNull();
  });

  it('skips a chip folder whose files are missing or not numbers', async () => {
    const root = await tree(KERNEL_6_6_PI4);
    await mkdir(join(root, 'class', 'gpio', 'gpiochip999'));
    const chips = await listGpioChips(root);
    expect(chips?.map((chip) => chip.name)).toEqual(['gpiochip512', 'gpiochip570']);
  });
});
