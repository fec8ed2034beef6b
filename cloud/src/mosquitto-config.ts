import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type MosquittoProfile = 'development' | 'production';

/** cloud/mosquitto/<profile>.conf, the files the Docker image ships; found the same way from src/ and dist/. */
export function defaultMosquittoConfPath(profile: MosquittoProfile = 'development'): string {
  return fileURLToPath(new URL(`../mosquitto/${profile}.conf`, import.meta.url));
}

/** The folder every path of the shipped configurations starts with: the image's data volume. */
export const IMAGE_DATA_DIR = '/mosquitto/data/';

export interface MosquittoConfOverrides {
  /** Port of the `protocol mqtt` listener (plain or TLS); unset keeps the file's. */
  port?: number;
  /** Port of the `protocol websockets` listener; unset keeps the file's. */
  wsPort?: number;
  /** Replaces the /mosquitto/data/ prefix of every path; a file without persistence_location gets one there. */
  dataDir?: string;
  /** Replaces the path of every `plugin` line. */
  pluginPath?: string;
}

const LISTENER = /^(\s*listener\s+)(\d+)(.*)$/;
const PROTOCOL = /^\s*protocol\s+(\S+)/;
const PERSISTENCE_LOCATION = /^\s*persistence_location\s+/;
const PLUGIN = /^(\s*plugin\s+)(\S+)(\s*)$/;
const COMMENT = /^\s*#/;

interface Listener {
  index: number;
  port: number;
  protocol: string;
}

/** The listeners of a configuration, each with its protocol (mqtt unless a `protocol` line follows). */
export function mosquittoListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const listener = LISTENER.exec(line);
    if (listener) listeners.push({ index, port: Number(listener[2]), protocol: 'mqtt' });
    const protocol = PROTOCOL.exec(line)?.[1];
    const current = listeners.at(-1);
    if (protocol && current) current.protocol = protocol;
  }
  return listeners;
}

/**
 * The same configuration with only the listener ports, the /mosquitto/data/ prefix of its paths and the
 * plugin path changed, so a test or a local run uses the very file the image ships. Throws when a port is
 * given for a kind of listener the file does not have exactly one of.
 */
export function rewriteMosquittoConf(text: string, overrides: MosquittoConfOverrides): string {
  const lines = text.split('\n');
  const listeners = mosquittoListeners(text);
  const tcp = listeners.filter((listener) => listener.protocol === 'mqtt');
  const ws = listeners.filter((listener) => listener.protocol === 'websockets');
  const wanted: [Listener[], number | undefined][] = [
    [tcp, overrides.port],
    [ws, overrides.wsPort],
  ];
  for (const [found, port] of wanted) {
    if (port !== undefined && found.length !== 1) {
      throw new Error(
        `The Mosquitto configuration has ${tcp.length} MQTT and ${ws.length} WebSocket listeners; accepted: exactly one of each kind whose port is set.`,
      );
    }
  }
  for (const [found, port] of wanted) {
    const [listener] = found;
    if (port === undefined || !listener) continue;
    lines[listener.index] = (lines[listener.index] ?? '').replace(
      LISTENER,
      (_all, head, _port, tail) => `${head}${port}${tail}`,
    );
  }
  if (overrides.pluginPath !== undefined) {
    const pluginPath = overrides.pluginPath;
    for (const [index, line] of lines.entries()) {
      lines[index] = line.replace(PLUGIN, (_all, head, _path, tail) => `${head}${pluginPath}${tail}`);
    }
  }
  if (overrides.dataDir !== undefined) {
    const dataDir = overrides.dataDir.endsWith('/') ? overrides.dataDir : `${overrides.dataDir}/`;
    for (const [index, line] of lines.entries()) {
      if (!COMMENT.test(line)) lines[index] = line.split(IMAGE_DATA_DIR).join(dataDir);
    }
    if (!lines.some((line) => PERSISTENCE_LOCATION.test(line))) lines.push(`persistence_location ${dataDir}`);
  }
  return lines.join('\n');
}

/** The one file name Mosquitto's dynamic security plugin has in every distribution. */
export const DYNSEC_PLUGIN_FILE = 'mosquitto_dynamic_security.so';

/**
 * Where the dynamic security plugin is on this machine: /usr/lib/ (the image's symlink), Debian's and
 * Ubuntu's /usr/lib/<arch>-linux-<abi>/, then the usual other places. Throws one sentence when none has it.
 */
export function findDynsecPlugin(roots: readonly string[] = ['/usr/lib', '/usr/local/lib']): string {
  const candidates: string[] = [];
  for (const root of roots) {
    candidates.push(`${root}/${DYNSEC_PLUGIN_FILE}`);
    let entries: string[] = [];
    try {
      entries = readdirSync(root).filter((name) => /-linux-/.test(name));
    } catch {
      // A folder that does not exist has no plugin in it.
    }
    for (const entry of entries.sort()) candidates.push(`${root}/${entry}/${DYNSEC_PLUGIN_FILE}`);
  }
  candidates.push(`/usr/lib64/${DYNSEC_PLUGIN_FILE}`, `/opt/homebrew/lib/${DYNSEC_PLUGIN_FILE}`);
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  throw new Error(
    `Mosquitto's dynamic security plugin (${DYNSEC_PLUGIN_FILE}) is not in ${roots.map((root) => `${root}/, ${root}/*-linux-*/`).join(', ')}, /usr/lib64/ or /opt/homebrew/lib/; install Debian's Mosquitto, which includes it: sudo apt-get install mosquitto.`,
  );
}
