import {
  ConfigError,
  createLogger,
  exitOnStopSignals,
  exitOnUncaughtErrors,
  exitWithOneLine,
  isEntryPoint,
  type Logger,
} from '@fleet/shared';
import { MosquittoProcess } from '../mosquitto-process.js';
import { type BrokerConfig, loadBrokerConfig } from './config.js';
import { type PreparedBroker, prepareDevelopment, prepareProduction } from './profiles.js';

const SERVICE = 'broker';

/** Debian's Mosquitto, installed in the image by apt-get. */
export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

/** Mosquitto's own timestamp, which the JSON line already has. */
const MOSQUITTO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: /;

/** Each line Mosquitto writes, as a JSON log line at the level its text says. */
export function mosquittoLineLogger(logger: Logger): (line: string) => void {
  const child = logger.child({ component: 'mosquitto' });
  return (line) => {
    const text = line.replace(MOSQUITTO_TIME, '');
    if (/^Error/i.test(text)) child.error(text);
    else if (/^Warning|failed|denied|not authori[sz]ed/i.test(text)) child.warn(text);
    else child.info(text);
  };
}

/**
 * `node cloud/dist/broker/main.js`, the broker container's process 1. FLEET_ROLE picks what it does:
 * edge → nothing (exit 0 at once); standalone → Mosquitto with the development profile; hub → the
 * production setup, then Mosquitto with the production profile. Mosquitto runs as a child whose every
 * output line becomes a JSON log line; SIGTERM/SIGINT stop it and exit 0; if it dies, this exits 1.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: BrokerConfig;
  try {
    config = loadBrokerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWithOneLine(SERVICE, error.message);
    throw error;
  }
  const logger = createLogger(SERVICE, config.logLevel);
  if (config.fleetRole === 'edge') {
    logger.info(
      { fleet_role: config.fleetRole },
      'FLEET_ROLE=edge: this device runs only the edge; the broker stays stopped (the fleet uses the broker on its hub or central server).',
    );
    process.exit(0);
  }
  let broker: MosquittoProcess | undefined;
  const signals = exitOnStopSignals(logger, () => broker?.stop());

  let prepared: PreparedBroker;
  try {
    prepared =
      config.fleetRole === 'hub' ? await prepareProduction(config) : await prepareDevelopment(config);
  } catch (error) {
    exitWithOneLine(SERVICE, `The broker could not start: ${(error as Error).message}`, config.logLevel);
  }
  broker = new MosquittoProcess({
    binary: MOSQUITTO_BINARY,
    confPath: prepared.confPath,
    sourceConfPath: prepared.confPath,
    host: '127.0.0.1',
    ports: prepared.ports,
    startTimeoutMs: 20_000,
    logger,
    onLine: mosquittoLineLogger(logger),
    readyFromOutput: true,
    onUnexpectedExit: () => process.exit(1),
  });
  try {
    await broker.start();
  } catch (error) {
    exitWithOneLine(SERVICE, `The broker could not start: ${(error as Error).message}`, config.logLevel);
  }
  if (signals.requested) {
    await broker.stop();
    process.exit(0);
  }
  logger.info(prepared.fields, prepared.summary);
  for (const warning of prepared.warnings) logger.warn(warning);
}

if (isEntryPoint(import.meta.url)) {
  exitOnUncaughtErrors(SERVICE);
  void main();
}
