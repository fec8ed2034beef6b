import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../errors.js';

export interface HostAllowlistOptions {
  /** ALLOWED_HOSTS: names, `*.example.com` patterns, or `*`. */
  allowedHosts: readonly string[];
  /** The DNS names of the HTTPS certificate (HTTPS_CERT), if any. */
  certNames: readonly string[];
  /** This machine's host name (os.hostname()). */
  machineName: string;
}

/** balena's public device URL: https://<uuid>.balena-devices.com */
const BALENA_PUBLIC = '*.balena-devices.com';

/** The host name of a Host header value, lower case, without the port or the brackets of an IPv6 literal. */
export function hostnameOf(host: string): string {
  const text = host.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']') > 0 ? text.indexOf(']') : undefined);
  const colons = text.split(':').length - 1;
  // One colon: name:port. More: a bare IPv6 literal (no port can be told apart without brackets).
  return colons === 1 ? (text.split(':')[0] ?? '') : text;
}

function matches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
  return name === pattern;
}

/**
 * The Host names the dashboard answers to, against DNS rebinding (a hostile page whose name is made to point
 * at this dashboard's address): localhost, any IP literal, the balena public device URL, this machine's name
 * (and name.local), the certificate's names and ALLOWED_HOSTS.
 */
export class HostAllowlist {
  private readonly patterns: string[];

  constructor(private readonly options: HostAllowlistOptions) {
    const machine = options.machineName.toLowerCase();
    this.patterns = [
      'localhost',
      BALENA_PUBLIC,
      ...(machine ? [machine, `${machine}.local`] : []),
      ...options.certNames.map((name) => name.toLowerCase()),
      ...options.allowedHosts,
    ];
  }

  /** ALLOWED_HOSTS holds "*": every host is let in. */
  get allowsAny(): boolean {
    return this.options.allowedHosts.includes('*');
  }

  allows(hostname: string): boolean {
    if (hostname === '') return false;
    if (isIP(hostname) !== 0) return true;
    return this.patterns.some((pattern) => matches(pattern, hostname));
  }

  /** What is accepted, in words. */
  describe(): string {
    return ['localhost', 'any IP address', ...new Set(this.patterns.slice(1))].join(', ');
  }
}

/** Every request, page included: a Host that is not on the list gets 403 before anything else. */
export function installHostCheck(app: FastifyInstance, allowlist: HostAllowlist): void {
  if (allowlist.allowsAny) return;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const host = request.host ?? '';
    if (allowlist.allows(hostnameOf(host))) return;
    throw new ForbiddenError(
      `Host ${JSON.stringify(host)} is not one this dashboard answers to (a guard against DNS rebinding); accepted: ${allowlist.describe()}; add the name you use to ALLOWED_HOSTS (comma-separated, "*.example.com" for its subdomains).`,
    );
  });
}
