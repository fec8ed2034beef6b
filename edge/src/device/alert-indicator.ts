import type { Logger } from '@fleet/shared';
import type { AlertLed } from '../gpio/types.js';
import { AlertState } from './alert-state.js';

export interface AlertIndicatorOptions {
  led: AlertLed;
  logger: Logger;
  /** °C below the threshold at which the alert turns off again (default 0.5). */
  hysteresis?: number;
  /** Called after each change of the alert, e.g. to republish the status. */
  onChange: (alerte: boolean) => void;
}

/**
 * The temperature alert as the device shows it: AlertState's hysteresis, the LED following it, one info
 * line per change. Remembers the last temperature, so a new threshold takes effect without a new reading.
 */
export class AlertIndicator {
  private readonly state: AlertState;
  private lastTemperature: number | null = null;

  constructor(private readonly options: AlertIndicatorOptions) {
    this.state = new AlertState(options.hysteresis ?? 0.5);
  }

  get active(): boolean {
    return this.state.active;
  }

  /** Takes a reading into account; gives whether the alert is on. */
  update(temperature: number, threshold: number): boolean {
    this.lastTemperature = temperature;
    const before = this.state.active;
    const alerte = this.state.update(temperature, threshold);
    if (alerte !== before) this.changed(alerte, temperature, threshold);
    return alerte;
  }

  /** Applies a new threshold to the last temperature, if there was a reading yet. */
  thresholdChanged(threshold: number): void {
    if (this.lastTemperature !== null) this.update(this.lastTemperature, threshold);
  }

  private changed(alerte: boolean, temperature: number, threshold: number): void {
    const { led, logger } = this.options;
    logger.info(
      { alerte, temperature, seuil_alerte: threshold },
      alerte ? 'temperature alert on' : 'temperature alert off',
    );
    led.set(alerte).catch((error: unknown) => {
      logger.warn({ err: (error as Error).message }, 'the alert LED could not be set');
    });
    this.options.onChange(alerte);
  }
}
