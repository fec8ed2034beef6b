/**
 * The temperature alert, with hysteresis so a reading hovering at the threshold does not make it
 * flap: it turns on when the temperature is above the threshold, and off only once it is below
 * threshold − hysteresis.
 */
export class AlertState {
  private on: boolean;

  constructor(
    private readonly hysteresis = 0.5,
    initial = false,
  ) {
    if (!(hysteresis >= 0)) throw new RangeError(`Alert hysteresis must be ≥ 0 °C, got ${hysteresis}.`);
    this.on = initial;
  }

  get active(): boolean {
    return this.on;
  }

  /** Takes a new reading into account; gives whether the alert is on. */
  update(temperature: number, threshold: number): boolean {
    if (temperature > threshold) this.on = true;
    else if (temperature < threshold - this.hysteresis) this.on = false;
    return this.on;
  }
}
