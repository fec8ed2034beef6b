/** The alert LED. Without GPIO it is a no-op that logged one line when it was made. */
export interface AlertLed {
  /** Human-readable description for the start-up log, e.g. "BCM 17 (sysfs gpio 529)" or "none". */
  readonly description: string;
  set(on: boolean): Promise<void>;
  close(): Promise<void>;
}

/** One exported sysfs GPIO, as far as the LED uses it; onoff's Gpio fits. */
export interface GpioLike {
  write(value: 0 | 1): Promise<void>;
  unexport(): void;
}

/** A GPIO chip listed in <sysfs>/class/gpio: gpiochipN/{label,base,ngpio}. */
export interface GpioChipInfo {
  /** Directory name, e.g. "gpiochip512". */
  name: string;
  label: string;
  /** sysfs number of the chip's line 0. */
  base: number;
  ngpio: number;
}
