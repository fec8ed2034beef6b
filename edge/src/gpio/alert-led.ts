import type { Logger } from '@fleet/shared';
import { loadOnoff } from './onoff-gpio.js';
import { findPinctrlBase, gpioClassPath, listGpioChips, PI_PIN_CONTROLLER_LABELS } from './pinctrl.js';
import type { AlertLed, GpioLike } from './types.js';

export interface AlertLedOptions {
  /** ALERT_LED_GPIO: the BCM pin number (as printed on pinout diagrams), or null for no LED. */
  bcmPin: number | null;
  /** Default '/sys'. */
  sysfsRoot?: string;
  /** Exports a sysfs GPIO as an output. Default: onoff's `new Gpio(n, 'out')`. */
  gpioFactory?: (sysfsNumber: number) => GpioLike;
  /** Whether GPIOs can be exported. Default: onoff's Gpio.accessible, or true when gpioFactory is given. */
  gpioAccessible?: () => boolean;
  logger: Logger;
}

/** The LED of a device without one. */
export const NO_LED: AlertLed = { description: 'none', set: async () => {}, close: async () => {} };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The alert LED on BCM pin `bcmPin`, driven through sysfs GPIO (onoff). It never throws: without a pin
 * it logs one info line, and when GPIO cannot be used (no <sysfs>/class/gpio, no Raspberry Pi pin
 * controller, pin out of range, export not allowed or failing) it logs one warning that says why; both
 * give a LED that does nothing. The sysfs number is the pin controller's base + the BCM pin, so the same
 * ALERT_LED_GPIO works on old kernels (base 0), on 6.6+ kernels (base 512) and on the Pi 5 (RP1, 571).
 */
export async function createAlertLed(options: AlertLedOptions): Promise<AlertLed> {
  const { bcmPin, logger } = options;
  const sysfsRoot = options.sysfsRoot ?? '/sys';
  if (bcmPin === null) {
    logger.info('no alert LED: ALERT_LED_GPIO not set');
    return NO_LED;
  }
  const unavailable = (why: string): AlertLed => {
    logger.warn({ bcmPin }, `no alert LED on BCM ${bcmPin}: ${why}`);
    return NO_LED;
  };

  const chips = await listGpioChips(sysfsRoot);
  if (chips === null) {
    return unavailable(
      `${gpioClassPath(sysfsRoot)} not found, so this container has no GPIO sysfs interface (on balena the service must run privileged)`,
    );
  }
  const controller = await findPinctrlBase(sysfsRoot);
  if (!controller) {
    const labels = chips.map((chip) => chip.label).join(', ') || 'none';
    return unavailable(
      `no Raspberry Pi pin controller among the GPIO chips (labels found: ${labels}; expected ${PI_PIN_CONTROLLER_LABELS.join(', ')})`,
    );
  }
  if (!Number.isInteger(bcmPin) || bcmPin < 0 || bcmPin >= controller.ngpio) {
    return unavailable(
      `ALERT_LED_GPIO=${bcmPin} is not a pin of ${controller.label}, which has BCM 0 to ${controller.ngpio - 1}`,
    );
  }
  const sysfsNumber = controller.base + bcmPin;

  let factory = options.gpioFactory;
  let accessible = options.gpioAccessible;
  if (!factory) {
    try {
      const onoff = loadOnoff();
      factory = onoff.open;
      accessible ??= () => onoff.accessible;
    } catch (error) {
      return unavailable(`the GPIO library onoff could not be loaded: ${errorMessage(error)}`);
    }
  }
  if (accessible && !accessible()) {
    return unavailable(
      `${gpioClassPath(sysfsRoot)}/export cannot be written (on balena the service must run privileged)`,
    );
  }

  let gpio: GpioLike;
  try {
    gpio = factory(sysfsNumber);
  } catch (error) {
    return unavailable(`exporting sysfs gpio ${sysfsNumber} failed: ${errorMessage(error)}`);
  }
  const description = `BCM ${bcmPin} (sysfs gpio ${sysfsNumber}, ${controller.label})`;
  logger.info(
    { bcmPin, sysfsGpio: sysfsNumber, controller: controller.label },
    `alert LED on ${description}`,
  );
  return new GpioAlertLed(gpio, description, logger);
}

/** An output line that starts low (onoff's 'out' direction drives it low). */
class GpioAlertLed implements AlertLed {
  private lit = false;
  private closed = false;
  private failing = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly gpio: GpioLike,
    readonly description: string,
    private readonly logger: Logger,
  ) {}

  /** Writes 1 or 0 only when the state changes; a failed write is logged (once) and tried again next time. */
  set(on: boolean): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed || on === this.lit) return;
      try {
        await this.gpio.write(on ? 1 : 0);
      } catch (error) {
        if (!this.failing) {
          this.logger.warn({ error: errorMessage(error) }, `alert LED ${this.description}: write failed`);
        }
        this.failing = true;
        return;
      }
      this.lit = on;
      if (this.failing) this.logger.info(`alert LED ${this.description}: writes work again`);
      this.failing = false;
      this.logger.debug({ on }, `alert LED ${on ? 'on' : 'off'}`);
    });
  }

  /** Turns the LED off and unexports the line. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        if (this.lit) await this.gpio.write(0);
        this.lit = false;
      } catch (error) {
        this.logger.warn(
          { error: errorMessage(error) },
          `alert LED ${this.description}: could not turn it off`,
        );
      }
      try {
        this.gpio.unexport();
      } catch (error) {
        this.logger.warn({ error: errorMessage(error) }, `alert LED ${this.description}: could not unexport`);
      }
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => {});
    return result;
  }
}
