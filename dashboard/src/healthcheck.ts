// The dashboard image's HEALTHCHECK: `node dashboard/dist/healthcheck.js`. Healthy while the server answers
// GET /healthz on its own port (HTTPS when HTTPS_CERT is set) and its database is fine. A broker outage does
// not count: the dashboard reconnects by itself, and a restart by the engine would not bring the broker back.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const port = Number(process.env.PORT ?? '80');
const secure = Boolean(process.env.HTTPS_CERT?.trim());
// Its own certificate is for the names people use, not necessarily for 127.0.0.1: only the answer matters.
const request = secure
  ? httpsRequest({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 4000 })
  : httpRequest({ host: '127.0.0.1', port, path: '/healthz', timeout: 4000 });
request.on('response', (response) => {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { database?: string };
      process.exit(body.database === 'ok' ? 0 : 1);
    } catch {
      process.exit(1);
    }
  });
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
request.end();
