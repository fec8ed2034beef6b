import { existsSync } from 'node:fs';
import { pino } from 'pino';
import type { BrokerHandle, BrokerLogger } from './broker-handle.js';
import { freePort } from './free-port.js';
import { PortInUseError } from './listen.js';
import { startEmbeddedBroker } from './start-embedded-broker.js';
import { MOSQUITTO_BINARY, startMosquitto } from './start-mosquitto.js';

export interface TestBrokerOptions {
  logger?: BrokerLogger;
  /** Force one broker; default Mosquitto when it is installed, otherwise aedes. */
  kind?: 'mosquitto' | 'aedes';
}

/** True when Debian's Mosquitto is installed where CI puts it. */
export function hasMosquitto(binary = MOSQUITTO_BINARY): boolean {
  return existsSync(binary);
}

const ATTEMPTS = 3;
let announced = false;

/**
 * A broker for a test on free ports: the real Mosquitto with cloud/mosquitto/development.conf when it is installed,
 * otherwise the embedded aedes broker. Says once per process which one. Another process may take a free
 * port before the broker does, so it tries new ports up to three times.
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<BrokerHandle> {
  const logger =
    options.logger ?? pino({ base: { service: 'test-broker' }, timestamp: pino.stdTimeFunctions.isoTime });
  const kind = options.kind ?? (hasMosquitto() ? 'mosquitto' : 'aedes');
  if (!announced) {
    announced = true;
    logger.info(
      { broker: kind },
      kind === 'mosquitto'
        ? `Test broker: Mosquitto from ${MOSQUITTO_BINARY} with cloud/mosquitto/development.conf`
        : `Test broker: embedded aedes (${MOSQUITTO_BINARY} is not installed)`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const wsPort = await freePort();
    try {
      return kind === 'mosquitto'
        ? await startMosquitto({ port, wsPort, logger })
        : await startEmbeddedBroker({ port, wsPort, logger });
    } catch (error) {
      // Mosquitto says "Unable to create websockets listener" for a WebSocket port that is taken.
      const portTaken =
        error instanceof PortInUseError ||
        /address already in use|unable to create \w+ listener/i.test(String(error));
      if (!portTaken || attempt >= ATTEMPTS) throw error;
      logger.warn(
        { port, wsPort },
        'A free port was taken before the test broker could use it; trying others',
      );
    }
  }
}
