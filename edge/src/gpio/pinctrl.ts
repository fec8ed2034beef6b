import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpioChipInfo } from './types.js';

/**
 * Labels of the pin controller that drives the 40-pin header, by Raspberry Pi model, in order of
 * preference: RP1 on the Pi 5, the BCM2711 on the Pi 4 (kernels from 5.x), the BCM2835 family on the
 * Pi 0–3 (and the Pi 4 on older kernels). Other chips, such as the firmware's `raspberrypi-exp-gpio` or
 * the Pi 5 SoC's `gpio-brcmstb@…`, are not on the header and are ignored.
 */
export const PI_PIN_CONTROLLER_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

export function gpioClassPath(sysfsRoot: string): string {
  return join(sysfsRoot, 'class', 'gpio');
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

async function readChip(directory: string, name: string): Promise<GpioChipInfo | null> {
  const [label, base, ngpio] = await Promise.all(
    ['label', 'base', 'ngpio'].map((file) => readText(join(directory, name, file))),
  );
  if (typeof label !== 'string' || !base || !ngpio || !/^\d+$/.test(base) || !/^\d+$/.test(ngpio))
    return null;
  return { name, label, base: Number(base), ngpio: Number(ngpio) };
}

/**
 * The GPIO chips in `<sysfsRoot>/class/gpio` (gpiochipN/{label,base,ngpio}), or null when that folder
 * does not exist (no GPIO sysfs interface: not a Pi, or not visible in this container).
 */
export async function listGpioChips(sysfsRoot = '/sys'): Promise<GpioChipInfo[] | null> {
  const directory = gpioClassPath(sysfsRoot);
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.startsWith('gpiochip'));
  } catch {
    return null;
  }
  const chips = await Promise.all(names.map((name) => readChip(directory, name)));
  return chips.filter((chip): chip is GpioChipInfo => chip !== null).sort((a, b) => a.base - b.base);
}

/**
 * The Raspberry Pi's header pin controller among the sysfs GPIO chips, or null if there is none.
 * Its `base` turns a BCM pin number into a sysfs GPIO number: base 0 on kernels before 6.6, 512 on a
 * Pi 4 with 6.6 and later, 571 on a Pi 5, so BCM 17 is sysfs 17, 529 or 588.
 */
export async function findPinctrlBase(sysfsRoot = '/sys'): Promise<GpioChipInfo | null> {
  const chips = (await listGpioChips(sysfsRoot)) ?? [];
  for (const label of PI_PIN_CONTROLLER_LABELS) {
    const chip = chips.find((candidate) => candidate.label === label);
    if (chip) return chip;
  }
  return null;
}
