import { join } from 'node:path';

/** Where the production profile keeps its files under a data folder D (/mosquitto/data in the image). */
export interface SecureLayout {
  dataDir: string;
  /** D/broker/: Mosquitto's own files, written by the user it runs as. */
  brokerDir: string;
  /** D/secure/: TLS material and the env files. */
  secureDir: string;
  dynsecConfig: string;
  /** The configuration Mosquitto runs when it is not the shipped file as it is (outside the image). */
  renderedConf: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** How the fleet CLI and the health check reach the broker as fleet-admin. */
  adminEnv: string;
  /** How the dashboard reaches the broker as the user dashboard. */
  dashboardEnv: string;
  /** What a device outside needs besides its own user name and password. */
  clientEnv: string;
}

export function secureLayout(dataDir: string): SecureLayout {
  const brokerDir = join(dataDir, 'broker');
  const secureDir = join(dataDir, 'secure');
  return {
    dataDir,
    brokerDir,
    secureDir,
    dynsecConfig: join(brokerDir, 'dynamic-security.json'),
    renderedConf: join(brokerDir, 'mosquitto.conf'),
    caCert: join(secureDir, 'ca.crt'),
    caKey: join(secureDir, 'ca.key'),
    serverCert: join(secureDir, 'server.crt'),
    serverKey: join(secureDir, 'server.key'),
    adminEnv: join(secureDir, 'broker-admin.env'),
    dashboardEnv: join(secureDir, 'dashboard.env'),
    clientEnv: join(secureDir, 'client.env'),
  };
}
