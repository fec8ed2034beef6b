import type { Logger, OnlineStatus, OtaStatus, Telemetry, Topics } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import type { AlertLed } from '../gpio/types.js';
import type { MessageLink } from '../mqtt/types.js';
import { OtaSimulator } from '../ota/ota-simulator.js';
import type { RememberedAck } from '../storage/edge-store.js';
import { AlertIndicator } from './alert-indicator.js';
import { BatteryModel } from './battery-model.js';
import { CommandHandler, type CommandPlan, CommandRefusal, type CommandTarget } from './command-handler.js';
import { type Measurement, Measurements } from './measurement.js';
import { buildOnlineStatus } from './message-builders.js';
import type { DeviceStorage, HealthySensor } from './ports.js';
import { ReadingScheduler } from './reading-scheduler.js';
import type { EdgeSettings } from './settings.js';
import { TelemetryPublisher } from './telemetry-publisher.js';

/** Readings taken while the clock was not synchronised, set right once it is (ReadingRestamper). */
export interface ReadingStamps {
  noteUnsynced(reading: Telemetry, monotonicMs: number): void;
  restamp(telemetry: Telemetry): Telemetry;
  forget(telemetry: Telemetry): void;
}

export interface DeviceOptions {
  deviceId: string;
  logger: Logger;
  /** Wall clock for timestamps, monotonic clock for durations, and whether the wall clock is synchronised. */
  clock: DeviceClock;
  /** The fleet's topics, under MQTT_TOPIC_ROOT. */
  topics: Topics;
  link: MessageLink;
  sensor: HealthySensor;
  led: AlertLed;
  /** The state, the outbox and the memory of commands (EdgeStore). */
  storage: DeviceStorage;
  /** What the device starts with (resolveStartupState). */
  startup: { firmware: string; settings: EdgeSettings; ota: OtaStatus | null };
  stamps?: ReadingStamps;
  /** Milliseconds per step of a simulated OTA update (default: the simulator's). */
  otaStepMs?: number;
  /** °C below the threshold at which the alert turns off again (default 0.5). */
  alertHysteresis?: number;
  /** Telemetry messages in flight at once (default 8). */
  publishWindow?: number;
  /** How long stop() waits for telemetry in flight (default 2000 ms). */
  stopPublishTimeoutMs?: number;
}

/**
 * One sensor device: takes readings on schedule, queues each in the database before publishing it, answers
 * commands (each once, its effect written before it is acknowledged), runs simulated OTA updates, and keeps
 * its retained status up to date. The constructor only wires the parts together; `start()` starts the timers
 * and the connection, `stop()` ends them and records the clean stop.
 */
export class Device implements CommandTarget {
  private readonly log: Logger;
  private readonly clock: DeviceClock;
  private readonly storage: DeviceStorage;
  private readonly scheduler: ReadingScheduler;
  private readonly publisher: TelemetryPublisher;
  private readonly commands: CommandHandler;
  private readonly ota: OtaSimulator;
  private readonly alert: AlertIndicator;
  private readonly battery: BatteryModel;
  private readonly measurements: Measurements;
  private readonly statusTopic: string;
  private currentSettings: EdgeSettings;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;
  private removeSensorListener: (() => void) | null = null;

  constructor(private readonly options: DeviceOptions) {
    const { deviceId, logger, clock, startup, storage } = options;
    this.log = logger.child({ component: 'device' });
    this.clock = clock;
    this.storage = storage;
    this.statusTopic = options.topics.status(deviceId);
    this.currentSettings = { ...startup.settings };
    this.alert = new AlertIndicator({
      led: options.led,
      logger: this.log,
      onChange: () => this.publishStatus(),
      ...(options.alertHysteresis !== undefined ? { hysteresis: options.alertHysteresis } : {}),
    });
    this.battery = new BatteryModel(clock.monotonicMs(), startup.settings.mode);
    this.scheduler = new ReadingScheduler({ takeReading: () => this.takeReading(), logger: this.log });
    this.publisher = new TelemetryPublisher({
      outbox: storage.outbox,
      link: options.link,
      topic: options.topics.data(deviceId),
      logger: this.log,
      window: options.publishWindow,
      ...(options.stamps ? { stamps: options.stamps } : {}),
    });
    this.commands = new CommandHandler({
      deviceId,
      target: this,
      memory: storage,
      link: options.link,
      logger: this.log,
      clock,
      topics: options.topics,
    });
    this.measurements = new Measurements({
      deviceId,
      sensor: options.sensor,
      clock,
      alert: this.alert,
      battery: this.battery,
      logger: this.log,
      firmware: () => this.firmware,
    });
    this.ota = new OtaSimulator({
      currentVersion: startup.firmware,
      logger: logger.child({ component: 'ota' }),
      onChange: () => this.publishStatus(),
      persist: (ota, firmware) => storage.saveOta(ota, firmware),
      initial: startup.ota,
      clock,
      ...(options.otaStepMs !== undefined ? { stepMs: options.otaStepMs } : {}),
    });
  }

  get settings(): EdgeSettings {
    return { ...this.currentSettings };
  }

  /** The firmware running: the target of the last update that succeeded. */
  get firmware(): string {
    return this.ota.currentVersion;
  }

  get alerte(): boolean {
    return this.alert.active;
  }

  /** The retained status as it would be published now. */
  status(): OnlineStatus {
    return buildOnlineStatus({
      deviceId: this.options.deviceId,
      firmware: this.firmware,
      settings: this.currentSettings,
      alerte: this.alert.active,
      sensor: this.options.sensor.status(),
      ota: this.ota.status,
      now: this.clock.now(),
      clockSynced: this.clock.synced(),
      epoch: this.storage.epoch.epoch,
      epochReason: this.storage.epoch.reason,
    });
  }

  /** Readings acknowledged by the broker since start. */
  get delivered(): number {
    return this.publisher.deliveredCount;
  }

  start(): void {
    if (this.phase !== 'new') return;
    this.phase = 'running';
    const { link, sensor } = this.options;
    this.measurements.restart();
    sensor.start();
    this.removeSensorListener = sensor.onChange(() => this.publishStatus());
    link.setOnlineStatus(() => JSON.stringify(this.status()));
    link.onCommand((payload) => this.commands.receive(payload));
    this.publisher.start();
    link.start();
    this.scheduler.start(this.currentSettings);
    this.log.info(
      { firmware: this.firmware, settings: this.currentSettings, queued: this.storage.outbox.size },
      'device started',
    );
  }

  /**
   * Stops reading, finishes the command and the publish in flight, keeps the rest of the outbox on disk,
   * says goodbye and disconnects, and records the clean stop last. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  // --- CommandTarget: what commands act on -------------------------------------------------------

  checkUpdate(target: string): string | null {
    return this.ota.check(target);
  }

  apply(plan: CommandPlan, remembered: RememberedAck | null): Promise<void> {
    const work = async () => {
      // The reading of a read_now is the first under the command's settings (its calibration, its threshold).
      const settings = plan.settings ?? this.currentSettings;
      const measured = plan.readNow ? await this.measurements.take(settings) : null;
      if (typeof measured === 'string') throw new CommandRefusal(measured);
      const ota = plan.update ? this.ota.plan(plan.update.target, plan.update.commandId) : null;
      const reading = this.storage.applyCommand(
        {
          ...(plan.settings ? { settings: plan.settings } : {}),
          ...(ota ? { ota } : {}),
          ...(measured
            ? { reading: (identity) => this.measurements.telemetry(measured, identity, settings) }
            : {}),
        },
        remembered,
      );
      if (plan.settings) this.useSettings(plan.settings);
      if (ota) this.ota.start(ota);
      if (reading && measured) this.queued(reading, measured);
    };
    // A reading is taken between two scheduled ones, never during one.
    return plan.readNow ? this.scheduler.exclusive(work) : work();
  }

  publishStatus(): void {
    const { link } = this.options;
    // While offline there is nothing to do: the link publishes the status as it is then on reconnect.
    if (!link.connected || this.phase !== 'running') return;
    link
      .publish(this.statusTopic, JSON.stringify(this.status()), { retain: true })
      .catch((error: unknown) => {
        this.log.debug({ err: (error as Error).message }, 'status not published');
      });
  }

  // --- readings ------------------------------------------------------------------------------------

  /** A scheduled reading: sensor → alert → numbered and queued → publish. Nothing happens while the sensor fails. */
  private async takeReading(): Promise<void> {
    const measured = await this.measurements.take(this.currentSettings);
    if (typeof measured === 'string') {
      this.log.debug({ reason: measured }, 'no reading taken');
      return;
    }
    const telemetry = this.storage.takeReading((identity) =>
      this.measurements.telemetry(measured, identity, this.currentSettings),
    );
    this.queued(telemetry, measured);
  }

  private queued(telemetry: Telemetry, measured: Measurement): void {
    if (!measured.clockSynced) this.options.stamps?.noteUnsynced(telemetry, measured.takenAtMs);
    this.log.debug(
      { seq: telemetry.seq, temperature: telemetry.temperature, alerte: telemetry.alerte },
      'reading queued',
    );
    this.publisher.kick();
  }

  private useSettings(next: EdgeSettings): void {
    const before = this.currentSettings;
    this.currentSettings = { ...next };
    if (next.mode !== before.mode) this.battery.setMode(next.mode, this.clock.monotonicMs());
    if (next.seuil_alerte !== before.seuil_alerte) this.alert.thresholdChanged(next.seuil_alerte);
    this.scheduler.update(this.currentSettings);
  }

  // --- shutdown ------------------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    if (this.phase === 'new') {
      this.phase = 'stopped';
      this.storage.close();
      return;
    }
    this.phase = 'stopping';
    const { link, sensor, led } = this.options;
    await this.scheduler.stop();
    await this.commands.idle();
    this.ota.stop();
    await this.publisher.stop(this.options.stopPublishTimeoutMs ?? 2_000);
    await link.stop();
    // A command that arrived meanwhile is finished (and its update stopped) before the database closes.
    await this.commands.idle();
    this.ota.stop();
    this.removeSensorListener?.();
    await sensor.close().catch((error: unknown) => {
      this.log.warn({ err: (error as Error).message }, 'the sensor did not close cleanly');
    });
    await led
      .set(false)
      .then(() => led.close())
      .catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, 'the alert LED did not close cleanly');
      });
    const queued = this.storage.outbox.size;
    const clean = this.storage.close();
    this.phase = 'stopped';
    this.log.info(
      { queued, delivered: this.publisher.deliveredCount, clean_stop_recorded: clean },
      'device stopped',
    );
  }
}
