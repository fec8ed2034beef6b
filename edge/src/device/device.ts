import type { DeviceSettings, Logger, OnlineStatus, OtaStatus, Topics } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import type { AlertLed } from '../gpio/types.js';
import type { MessageLink } from '../mqtt/types.js';
import { OtaSimulator } from '../ota/ota-simulator.js';
import { AlertIndicator } from './alert-indicator.js';
import { BatteryModel } from './battery-model.js';
import { CommandHandler, type CommandTarget } from './command-handler.js';
import { buildOnlineStatus, buildTelemetry, isFiniteReading } from './message-builders.js';
import type { HealthySensor, StateWriter, TelemetryQueue } from './ports.js';
import { ReadingScheduler } from './reading-scheduler.js';
import { TelemetryPublisher } from './telemetry-publisher.js';

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
  outbox: TelemetryQueue;
  state: StateWriter;
  /** Hands out seq numbers that never repeat (SeqCounter). */
  seq: { next(): Promise<number> };
  /** What the device starts with (resolveStartupState). */
  startup: { firmware: string; settings: DeviceSettings; ota: OtaStatus | null };
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
 * One sensor device: takes readings on schedule, queues each on disk before publishing it, answers
 * commands, runs simulated OTA updates, and keeps its retained status up to date. The constructor only
 * wires the parts together; `start()` starts the timers and the connection, `stop()` ends them.
 */
export class Device implements CommandTarget {
  private readonly log: Logger;
  private readonly clock: DeviceClock;
  private readonly scheduler: ReadingScheduler;
  private readonly publisher: TelemetryPublisher;
  private readonly commands: CommandHandler;
  private readonly ota: OtaSimulator;
  private readonly alert: AlertIndicator;
  private readonly battery: BatteryModel;
  private readonly statusTopic: string;
  private currentSettings: DeviceSettings;
  private currentFirmware: string;
  private lastOtaState: OtaStatus['state'];
  private startedAtMs: number;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;
  private removeSensorListener: (() => void) | null = null;

  constructor(private readonly options: DeviceOptions) {
    const { deviceId, logger, clock, startup } = options;
    this.log = logger.child({ component: 'device' });
    this.clock = clock;
    this.statusTopic = options.topics.status(deviceId);
    this.currentSettings = { ...startup.settings };
    this.currentFirmware = startup.firmware;
    this.startedAtMs = clock.monotonicMs();
    this.alert = new AlertIndicator({
      led: options.led,
      logger: this.log,
      onChange: () => this.publishStatus(),
      ...(options.alertHysteresis !== undefined ? { hysteresis: options.alertHysteresis } : {}),
    });
    this.battery = new BatteryModel(this.startedAtMs, startup.settings.mode);
    this.scheduler = new ReadingScheduler({ takeReading: () => this.takeReading(), logger: this.log });
    this.publisher = new TelemetryPublisher({
      outbox: options.outbox,
      link: options.link,
      topic: options.topics.data(deviceId),
      logger: this.log,
      window: options.publishWindow,
    });
    this.commands = new CommandHandler({
      deviceId,
      target: this,
      link: options.link,
      logger: this.log,
      clock,
      topics: options.topics,
    });
    this.ota = new OtaSimulator({
      currentVersion: startup.firmware,
      logger: logger.child({ component: 'ota' }),
      onChange: (ota) => this.otaChanged(ota),
      onInstalled: (version) => this.firmwareInstalled(version),
      initial: startup.ota,
      clock,
      ...(options.otaStepMs !== undefined ? { stepMs: options.otaStepMs } : {}),
    });
    this.lastOtaState = this.ota.status.state;
  }

  get settings(): DeviceSettings {
    return { ...this.currentSettings };
  }

  get firmware(): string {
    return this.currentFirmware;
  }

  get alerte(): boolean {
    return this.alert.active;
  }

  /** The retained status as it would be published now. */
  status(): OnlineStatus {
    return buildOnlineStatus({
      deviceId: this.options.deviceId,
      firmware: this.currentFirmware,
      settings: this.currentSettings,
      alerte: this.alert.active,
      sensor: this.options.sensor.status(),
      ota: this.ota.status,
      now: this.clock.now(),
      clockSynced: this.clock.synced(),
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
    this.startedAtMs = this.clock.monotonicMs();
    sensor.start();
    this.removeSensorListener = sensor.onChange(() => this.publishStatus());
    link.setOnlineStatus(() => JSON.stringify(this.status()));
    link.onCommand((payload) => this.commands.receive(payload));
    this.publisher.start();
    link.start();
    this.scheduler.start(this.currentSettings);
    this.log.info(
      { firmware: this.currentFirmware, settings: this.currentSettings, queued: this.options.outbox.size },
      'device started',
    );
  }

  /**
   * Stops reading, finishes the command and the publish in flight, keeps the rest of the outbox on disk,
   * publishes the offline status and disconnects. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Handles one raw command payload, as if it came from `devices/{id}/commands`. */
  receiveCommand(payload: Buffer | string) {
    return this.commands.receive(payload);
  }

  // --- CommandTarget: what commands act on -------------------------------------------------------

  checkUpdate(target: string): string | null {
    return this.ota.check(target);
  }

  async applySettings(next: DeviceSettings): Promise<void> {
    const before = this.currentSettings;
    // A failed write rejects here, having changed nothing in the store: the command is then rejected.
    await this.options.state.update({ settings: next });
    this.currentSettings = { ...next };
    if (next.mode !== before.mode) this.battery.setMode(next.mode, this.clock.monotonicMs());
    if (next.seuil_alerte !== before.seuil_alerte) this.alert.thresholdChanged(next.seuil_alerte);
    this.scheduler.update(this.currentSettings);
  }

  beginUpdate(target: string, commandId: string | null): void {
    this.ota.begin(target, commandId);
  }

  readNow(): void {
    void this.scheduler.readNow();
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

  /** One reading: sensor → alert → seq → telemetry on disk → publish. Nothing happens while the sensor fails. */
  private async takeReading(): Promise<void> {
    const reading = await this.options.sensor.read();
    if (!reading) return;
    if (!isFiniteReading(reading)) {
      this.log.error({ reading }, 'the sensor gave a value that is not a number; reading skipped');
      return;
    }
    const takenAt = this.clock.now();
    const takenAtMs = this.clock.monotonicMs();
    const clockSynced = this.clock.synced();
    const alerte = this.alert.update(reading.temperature, this.currentSettings.seuil_alerte);
    const seq = await this.options.seq.next();
    const telemetry = buildTelemetry({
      deviceId: this.options.deviceId,
      reading,
      takenAt,
      clockSynced,
      uptime: Math.max(0, Math.floor((takenAtMs - this.startedAtMs) / 1000)),
      seq,
      source: this.options.sensor.status().source,
      batterie: this.battery.level(takenAtMs),
      settings: this.currentSettings,
      firmware: this.currentFirmware,
      alerte,
    });
    try {
      await this.options.outbox.enqueue(telemetry);
    } catch (error) {
      // The outbox keeps it in memory and writes it with its next successful write.
      this.log.error({ seq, err: (error as Error).message }, 'reading not yet written to disk');
    }
    this.log.debug({ seq, temperature: telemetry.temperature, alerte }, 'reading queued');
    this.publisher.kick();
  }

  // --- OTA -----------------------------------------------------------------------------------------

  private otaChanged(ota: OtaStatus): void {
    if (ota.state !== this.lastOtaState) {
      this.lastOtaState = ota.state;
      this.options.state.update({ ota }).catch((error: unknown) => {
        this.log.error({ err: (error as Error).message }, 'the OTA status could not be saved');
      });
    }
    this.publishStatus();
  }

  /** Persists the new version before the update is announced as succeeded; from now on telemetry carries it. */
  private async firmwareInstalled(version: string): Promise<void> {
    await this.options.state.update({ firmware: version });
    this.log.info({ from: this.currentFirmware, to: version }, 'firmware updated');
    this.currentFirmware = version;
  }

  // --- shutdown ------------------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    if (this.phase === 'new') {
      this.phase = 'stopped';
      return;
    }
    this.phase = 'stopping';
    const { link, sensor, led, outbox, state } = this.options;
    await this.scheduler.stop();
    await this.commands.idle();
    this.ota.stop();
    await this.publisher.stop(this.options.stopPublishTimeoutMs ?? 2_000);
    await link.stop();
    await outbox.close();
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
    await state.flush();
    this.phase = 'stopped';
    this.log.info({ queued: outbox.size, delivered: this.publisher.deliveredCount }, 'device stopped');
  }
}
