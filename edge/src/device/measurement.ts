import type { DeviceSettings, Logger, SensorSource, Telemetry } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import { calibrate } from '../sensor/calibration.js';
import type { Reading } from '../sensor/types.js';
import type { AlertIndicator } from './alert-indicator.js';
import type { BatteryModel } from './battery-model.js';
import { buildTelemetry, isFiniteReading } from './message-builders.js';
import type { HealthySensor } from './ports.js';
import type { EdgeSettings } from './settings.js';

/** One measurement, calibrated, before it is numbered. */
export interface Measurement {
  reading: Reading;
  /** The sensor that took it (the search may switch sensors between the reading and its numbering). */
  source: SensorSource;
  takenAt: Date;
  takenAtMs: number;
  clockSynced: boolean;
  alerte: boolean;
}

export interface MeasurementsOptions {
  deviceId: string;
  sensor: HealthySensor;
  clock: DeviceClock;
  alert: AlertIndicator;
  battery: BatteryModel;
  logger: Logger;
  /** The firmware running when a reading is numbered. */
  firmware: () => string;
}

/**
 * Measurements and the telemetry made of them: the sensor read with the time it was taken (wall and
 * monotonic) and the alert it gives, then, once the store numbers it, the telemetry message.
 */
export class Measurements {
  private startedAtMs: number;

  constructor(private readonly options: MeasurementsOptions) {
    this.startedAtMs = options.clock.monotonicMs();
  }

  /** Uptime counts from here (the device's start). */
  restart(): void {
    this.startedAtMs = this.options.clock.monotonicMs();
  }

  /**
   * Reads the sensor, calibrates the reading with `settings` and updates the alert with its threshold; gives
   * the sentence saying why there is no reading otherwise.
   */
  async take(settings: EdgeSettings): Promise<Measurement | string> {
    const { sensor, clock, alert } = this.options;
    // The source before the read: a read under way finishes on the sensor it began on.
    const { source } = sensor.status();
    const measured = await sensor.read();
    if (!measured) {
      return `The sensor could not be read (${sensor.status().error ?? 'it is failing'}), so no reading was taken and nothing was changed.`;
    }
    if (!isFiniteReading(measured)) {
      this.options.logger.error(
        { reading: measured },
        'the sensor gave a value that is not a number; reading skipped',
      );
      return 'The sensor gave a value that is not a number, so no reading was taken and nothing was changed.';
    }
    const reading = calibrate(measured, settings);
    return {
      reading,
      source,
      takenAt: clock.now(),
      takenAtMs: clock.monotonicMs(),
      clockSynced: clock.synced(),
      alerte: alert.update(reading.temperature, settings.seuil_alerte),
    };
  }

  /** The telemetry of a measurement with the identity the store gave it. */
  telemetry(
    measured: Measurement,
    identity: { epoch: string; seq: number },
    settings: DeviceSettings,
  ): Telemetry {
    const { options } = this;
    return buildTelemetry({
      deviceId: options.deviceId,
      reading: measured.reading,
      takenAt: measured.takenAt,
      clockSynced: measured.clockSynced,
      uptime: Math.max(0, Math.floor((measured.takenAtMs - this.startedAtMs) / 1000)),
      epoch: identity.epoch,
      seq: identity.seq,
      source: measured.source,
      batterie: options.battery.level(measured.takenAtMs),
      settings,
      firmware: options.firmware(),
      alerte: measured.alerte,
    });
  }
}
