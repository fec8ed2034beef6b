export { type AlertLedOptions, createAlertLed } from './alert-led.js';
export { loadOnoff, type OnoffGpio } from './onoff-gpio.js';
export { findPinctrlBase, gpioClassPath, listGpioChips, PI_PIN_CONTROLLER_LABELS } from './pinctrl.js';
export type { AlertLed, GpioChipInfo, GpioLike } from './types.js';
