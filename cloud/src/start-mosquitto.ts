import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { type BrokerHandle, type BrokerLogger, brokerAddress, serializeLifecycle } from './broker-handle.js';
import { makeTempDir } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { defaultMosquittoConfPath, rewriteMosquittoConf } from './mosquitto-config.js';
import { MosquittoProcess } from './mosquitto-process.js';

/** Where Debian (and CI, with `apt-get install mosquitto`) puts the broker. */
export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

export interface StartMosquittoOptions {
  /** The configuration to run; default cloud/mosquitto/development.conf, the one the image's standalone role runs. */
  confPath?: string;
  /** MQTT-over-TCP port; default a free one. */
  port?: number;
  /** MQTT-over-WebSocket port; default a free one. */
  wsPort?: number;
  /** Folder for mosquitto.db; default a new temp folder, removed when this process exits. */
  dataDir?: string;
  logger?: BrokerLogger;
  /** default /usr/sbin/mosquitto */
  binary?: string;
  /** How long to wait for the listeners; default 10 s. */
  startTimeoutMs?: number;
}

/**
 * Runs the real Mosquitto with cloud/mosquitto/development.conf, changed only in its listener ports and
 * persistence folder. Resolves once both listeners accept connections; rejects with Mosquitto's output when it does not start
 * (a typo in the configuration, a port in use).
 */
export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<BrokerHandle> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const sourceConfPath = options.confPath ?? defaultMosquittoConfPath();
  const port = options.port ?? (await freePort());
  const wsPort = options.wsPort ?? (await freePort());
  const workDir = await makeTempDir('fleet-mosquitto-');
  const dataDir = options.dataDir ?? join(workDir, 'data');
  await mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // Started as root, Mosquitto runs as the user "mosquitto", who must reach and write the data folder.
    await chmod(workDir, 0o755);
    await chmod(dataDir, 0o777);
  }
  const confPath = join(workDir, 'mosquitto.conf');
  const source = await readFile(sourceConfPath, 'utf8');
  await writeFile(confPath, rewriteMosquittoConf(source, { port, wsPort, dataDir }));

  const address = brokerAddress('127.0.0.1', port, wsPort);
  const broker = new MosquittoProcess({
    binary: options.binary ?? MOSQUITTO_BINARY,
    confPath,
    sourceConfPath,
    host: address.host,
    ports: [port, wsPort],
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    logger,
  });
  const startOnce = async () => {
    await broker.start();
    logger.info(
      { broker: 'mosquitto', url: address.url, wsUrl: address.wsUrl, dataDir },
      'Mosquitto started',
    );
  };
  const stopOnce = async () => {
    await broker.stop();
    logger.info({ broker: 'mosquitto', url: address.url }, 'Mosquitto stopped');
  };
  await startOnce();
  return {
    kind: 'mosquitto',
    ...address,
    get pid() {
      return broker.pid;
    },
    ...serializeLifecycle(startOnce, stopOnce, () => broker.running),
  };
}
