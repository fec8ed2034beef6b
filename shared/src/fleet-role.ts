import { type EnvVar, envParsers } from './env-config.js';

/**
 * What this machine is in the fleet, read by the broker and the dashboard services (the edge runs in every
 * role). One release serves every device: a balena device variable picks the role.
 * - standalone: broker, dashboard and edge on one machine; the broker's development profile (anonymous).
 * - hub: this machine runs the fleet's broker (production profile: TLS, a credential per device, ACLs) and
 *   its dashboard; on a Pi it may run its own edge too. The central compose file (cloud/) sets it.
 * - edge: only the edge runs here; the broker and dashboard services exit at once and stay stopped.
 */
export const FLEET_ROLES = ['standalone', 'hub', 'edge'] as const;
export type FleetRole = (typeof FLEET_ROLES)[number];

export const fleetRoleVar: EnvVar<FleetRole> = {
  env: 'FLEET_ROLE',
  doc: 'What this machine runs: "standalone" (broker, dashboard and edge; anonymous development broker), "hub" (the fleet\'s broker with TLS and a credential per device, and its dashboard), or "edge" (the edge only; the broker and dashboard services stop at once).',
  default: 'standalone',
  accepted: `one of ${FLEET_ROLES.join(', ')}`,
  parse: envParsers.oneOf(FLEET_ROLES),
};
