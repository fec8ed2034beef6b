import type { BrokerSummary, FleetSummary } from './fleet.js';

/** The banner's lines about the broker: where it is, its profile, and for the production one, its files. */
function brokerLines(broker: BrokerSummary): string[] {
  switch (broker.kind) {
    case 'embedded':
      return [
        `  MQTT broker  ${broker.url} and ${broker.wsUrl} (embedded)`,
        '  Profile      development: anonymous clients, no TLS, so for a trusted network only (--secure: production)',
      ];
    case 'external':
      return [`  MQTT broker  ${broker.url} (MQTT_BROKER)`];
    case 'secure':
      return [
        `  MQTT broker  ${broker.url} (Mosquitto, production profile: TLS, a credential per device)`,
        `  CA           ${broker.caCertPath}`,
        `  Env files    ${broker.devicesDir}/<id>.env, one per device (the lines device add prints)`,
        `  New device   npm run fleet -- --data-dir ${broker.dataDir} device add <id>`,
      ];
  }
}

/** The lines that say where to look once everything runs. */
export function formatBanner(summary: FleetSummary): string {
  const devices =
    summary.broker.kind === 'secure'
      ? 'synthetic sensors, each with its own credential'
      : 'synthetic sensors';
  const lines = [
    '',
    'The fleet runs on this machine:',
    `  Dashboard    ${summary.dashboardUrl}`,
    `  ${summary.login}`,
    ...brokerLines(summary.broker),
    `  Devices      ${summary.deviceIds.join(', ')} (${devices})`,
    `  Data         ${summary.dataDir}`,
    ...summary.notes.map((note) => `  ${note}`),
    'Ctrl-C stops everything.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
