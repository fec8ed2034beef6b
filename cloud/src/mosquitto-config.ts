import { fileURLToPath } from 'node:url';

/** cloud/mosquitto.conf, the file the Docker image ships; found the same way from src/ and dist/. */
export function defaultMosquittoConfPath(): string {
  return fileURLToPath(new URL('../mosquitto.conf', import.meta.url));
}

export interface MosquittoConfOverrides {
  /** Port of the MQTT-over-TCP listener. */
  port: number;
  /** Port of the `protocol websockets` listener. */
  wsPort: number;
  /** Folder for mosquitto.db. */
  dataDir: string;
}

const LISTENER = /^(\s*listener\s+)(\d+)(.*)$/;
const PROTOCOL = /^\s*protocol\s+(\S+)/;
const PERSISTENCE_LOCATION = /^\s*persistence_location\s+/;

/**
 * The same configuration with only the listener ports and `persistence_location` changed, so a test runs the
 * very file the image ships. Throws when the file lacks a TCP or a WebSocket listener: the fleet needs both.
 */
export function rewriteMosquittoConf(text: string, overrides: MosquittoConfOverrides): string {
  const lines = text.split('\n');
  const listeners: { index: number; protocol: string }[] = [];
  for (const [index, line] of lines.entries()) {
    if (LISTENER.test(line)) listeners.push({ index, protocol: 'mqtt' });
    const protocol = PROTOCOL.exec(line)?.[1];
    const current = listeners.at(-1);
    if (protocol && current) current.protocol = protocol;
  }
  const tcp = listeners.filter((listener) => listener.protocol === 'mqtt');
  const ws = listeners.filter((listener) => listener.protocol === 'websockets');
  const [tcpListener] = tcp;
  const [wsListener] = ws;
  if (!tcpListener || !wsListener || tcp.length > 1 || ws.length > 1) {
    throw new Error(
      `The Mosquitto configuration has ${tcp.length} MQTT and ${ws.length} WebSocket listeners; accepted: exactly one of each.`,
    );
  }
  const setPort = (index: number, port: number) => {
    lines[index] = (lines[index] ?? '').replace(
      LISTENER,
      (_all, head, _port, tail) => `${head}${port}${tail}`,
    );
  };
  setPort(tcpListener.index, overrides.port);
  setPort(wsListener.index, overrides.wsPort);
  const location = `persistence_location ${overrides.dataDir.endsWith('/') ? overrides.dataDir : `${overrides.dataDir}/`}`;
  const persistenceIndex = lines.findIndex((line) => PERSISTENCE_LOCATION.test(line));
  if (persistenceIndex >= 0) lines[persistenceIndex] = location;
  else lines.push(location);
  return lines.join('\n');
}
