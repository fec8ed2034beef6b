import { CONTENT_SECURITY_POLICY } from '@fleet/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { loggedIn, login, PASSWORD } from './access-helpers.js';
import { type Harness, startHarness } from './harness.js';

describe('cross-site and host guards, CORS and security headers', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });
  const start = async (access = {}) => {
    h = await startHarness({ access: { auth: 'on', ...access } });
    return h.dashboard.app;
  };

  describe('state-changing requests from other sites', () => {
    const command = (headers: Record<string, string>, cookie?: string) =>
      h.dashboard.app.inject({
        method: 'POST',
        url: '/api/command',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers },
        payload: JSON.stringify({ device_id: 'pi-1', mode: 'auto' }),
      });

    it('refuses a POST whose Origin is another site, with a sentence', async () => {
      await start();
      const cookie = await loggedIn(h, 'olivia', 'operator');
      const response = await command({ origin: 'https://evil.example' }, cookie);
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toBe(
        'A POST /api/command from "https://evil.example" is refused: it is not this dashboard\'s origin (http://localhost) nor in CORS_ORIGINS; send it from the dashboard\'s own page, or from a script with an API token in "Authorization: Bearer <token>".',
      );
    });

    it('refuses a POST that the browser marks cross-site or same-site (Sec-Fetch-Site), login included', async () => {
      await start();
      const cookie = await loggedIn(h, 'olivia', 'operator');
      for (const site of ['cross-site', 'same-site']) {
        const response = await command({ 'sec-fetch-site': site }, cookie);
        expect(response.statusCode).toBe(403);
        expect(response.json().error).toBe(
          `A POST /api/command from another site is refused (Sec-Fetch-Site: ${site}); send it from the dashboard's own page, or from a script with an API token in "Authorization: Bearer <token>".`,
        );
      }
      const loginFromElsewhere = await login(h.dashboard.app, 'olivia', PASSWORD, {
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      });
      expect(loginFromElsewhere.statusCode).toBe(403);
      expect(loginFromElsewhere.headers['set-cookie']).toBeUndefined();
    });

    it('lets through same-origin requests, requests with neither header, and Bearer requests', async () => {
      await start();
      const cookie = await loggedIn(h, 'olivia', 'operator');
      // 404: past every guard, the device is unknown.
      expect(
        (await command({ origin: 'http://localhost', 'sec-fetch-site': 'same-origin' }, cookie)).statusCode,
      ).toBe(404);
      expect((await command({ origin: 'http://localhost:80' }, cookie)).statusCode).toBe(404);
      expect((await command({ 'sec-fetch-site': 'none' }, cookie)).statusCode).toBe(404);
      expect((await command({}, cookie)).statusCode).toBe(404);
      const { token } = await h.dashboard.tokens.create('script', 'operator', 'olivia');
      const bearer = await command({
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        authorization: `Bearer ${token}`,
      });
      expect(bearer.statusCode).toBe(404);
      // A GET is never refused for its origin (CORS decides what another site may read).
      const read = await h.dashboard.app.inject({
        method: 'GET',
        url: '/api/devices',
        headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      });
      expect(read.statusCode).toBe(200);
    });

    it('lets through an origin listed in CORS_ORIGINS', async () => {
      await start({ corsOrigins: ['https://grafana.example.com'] });
      const cookie = await loggedIn(h, 'olivia', 'operator');
      const response = await command(
        { origin: 'https://grafana.example.com', 'sec-fetch-site': 'cross-site' },
        cookie,
      );
      expect(response.statusCode).toBe(404);
    });
  });

  describe('the Host allowlist', () => {
    const get = (url: string, host: string) =>
      h.dashboard.app.inject({ method: 'GET', url, headers: { host } });

    it.each([
      'localhost:8080',
      'localhost',
      '127.0.0.1:8080',
      '192.168.1.20',
      '[::1]:8080',
      '[fd00::5]',
      '3f9a1c2b.balena-devices.com',
      'fleet-test-host',
      'fleet-test-host.local:8080',
      'dashboard.example.com',
      'pi.lan',
      'DASH.TEST:8443',
    ])('accepts Host %s', async (host) => {
      await start({ allowedHosts: ['dashboard.example.com', '*.lan'], certNames: ['dash.test'] });
      expect((await get('/healthz', host)).statusCode).not.toBe(403);
    });

    it('refuses any other Host with 403 on every route, naming the host and what is accepted', async () => {
      await start({ allowedHosts: ['dashboard.example.com', '*.lan'], certNames: ['dash.test'] });
      for (const url of ['/', '/healthz', '/api/data', '/static/style.css']) {
        const response = await get(url, 'evil.example:8080');
        expect(response.statusCode).toBe(403);
        expect(response.json()).toEqual({
          status: 'error',
          error:
            'Host "evil.example:8080" is not one this dashboard answers to (a guard against DNS rebinding); accepted: localhost, any IP address, *.balena-devices.com, fleet-test-host, fleet-test-host.local, dash.test, dashboard.example.com, *.lan; add the name you use to ALLOWED_HOSTS (comma-separated, "*.example.com" for its subdomains).',
        });
      }
      expect((await get('/', 'lan')).statusCode).toBe(403);
      expect((await get('/', 'balena-devices.com.evil.example')).statusCode).toBe(403);
    });

    it('accepts any Host with ALLOWED_HOSTS=*', async () => {
      await start({ allowedHosts: ['*'] });
      expect((await get('/healthz', 'anything.example')).statusCode).not.toBe(403);
    });
  });

  describe('CORS', () => {
    const preflight = () =>
      h.dashboard.app.inject({
        method: 'OPTIONS',
        url: '/api/command',
        headers: {
          origin: 'https://grafana.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });

    it('stays closed by default: no Access-Control-* header, no preflight', async () => {
      const app = await start();
      const { token } = await h.dashboard.tokens.create('grafana', 'viewer', 'ada');
      const response = await app.inject({
        method: 'GET',
        url: '/api/devices',
        headers: { origin: 'https://grafana.example.com', authorization: `Bearer ${token}` },
      });
      expect(response.statusCode).toBe(200);
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      const pre = await preflight();
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('opens to an origin in CORS_ORIGINS, and to it only', async () => {
      const app = await start({ corsOrigins: ['https://grafana.example.com'] });
      const pre = await preflight();
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://grafana.example.com');
      expect(pre.headers['access-control-allow-headers']).toBe('content-type, authorization');
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      const { token } = await h.dashboard.tokens.create('grafana', 'viewer', 'ada');
      const read = await app.inject({
        method: 'GET',
        url: '/api/devices',
        headers: { origin: 'https://grafana.example.com', authorization: `Bearer ${token}` },
      });
      expect(read.headers['access-control-allow-origin']).toBe('https://grafana.example.com');
      const other = await app.inject({
        method: 'GET',
        url: '/api/devices',
        headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('sends the security headers on the page, the API and errors; no HSTS over plain HTTP', async () => {
    const app = await start();
    const csp =
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'";
    expect(
      Object.entries(CONTENT_SECURITY_POLICY)
        .map(([k, v]) => `${k} ${v.join(' ')}`)
        .join(';'),
    ).toBe(csp);
    for (const url of ['/', '/api/data', '/healthz', '/nowhere']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers['content-security-policy']).toBe(csp);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });
});
