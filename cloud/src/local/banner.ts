import type { FleetSummary } from './fleet.js';

/** The lines that say where to look once everything runs. */
export function formatBanner(summary: FleetSummary): string {
  const broker = summary.embeddedBroker
    ? `${summary.brokerUrl}${summary.brokerWsUrl ? ` and ${summary.brokerWsUrl}` : ''} (embedded)`
    : `${summary.brokerUrl} (MQTT_BROKER)`;
  const lines = [
    '',
    'The fleet runs on this machine:',
    `  Dashboard    ${summary.dashboardUrl}`,
    `  MQTT broker  ${broker}`,
    `  Devices      ${summary.deviceIds.join(', ')} (synthetic sensors)`,
    `  Data         ${summary.dataDir}`,
    ...summary.notes.map((note) => `  ${note}`),
    'Ctrl-C stops everything.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
