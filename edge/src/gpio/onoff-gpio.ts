import { createRequire } from 'node:module';
import type { GpioLike } from './types.js';

/** onoff, loaded on first use (it loads the native `epoll` module), never at import time. */
export interface OnoffGpio {
  /** onoff's Gpio.accessible: whether /sys/class/gpio/export can be written. */
  accessible: boolean;
  /** new Gpio(sysfsNumber, 'out'): exports the line and makes it an output, driven low. */
  open(sysfsNumber: number): GpioLike;
}

export function loadOnoff(): OnoffGpio {
  const { Gpio } = createRequire(import.meta.url)('onoff') as typeof import('onoff');
  return {
    accessible: Gpio.accessible,
    open: (sysfsNumber) => new Gpio(sysfsNumber, 'out'),
  };
}
