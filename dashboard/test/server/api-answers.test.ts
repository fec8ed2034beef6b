import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  commandLogResponseSchema,
  dataResponseSchema,
  devicesResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  historyResponseSchema,
  meResponseSchema,
  tokenCreatedSchema,
  tokensResponseSchema,
} from '../../src/http/schema/responses.js';
import { ack, onlineStatus, readings } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/**
 * The response schemas only document (answers are written by JSON.stringify): real answers must match
 * them, field for field. zod drops what a schema does not name, so an answer with an undocumented field
 * parses to something else and fails too.
 */
function expectDescribed(schema: z.ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  expect(parsed.error?.issues ?? [], JSON.stringify(body).slice(0, 300)).toEqual([]);
  expect(parsed.data).toEqual(body);
}

describe('the answers match the schemas of the API document', () => {
  let h: Harness;
  const get = (url: string) => h.dashboard.app.inject({ method: 'GET', url });

  beforeAll(async () => {
    h = await startHarness();
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    for (const reading of readings('pi-1', 30, '2025-03-01T11:00:00Z', 2000)) {
      await h.deliver('devices/pi-1/data', reading);
    }
    await h.deliver('devices/pi-1/ack', ack('pi-1', 'c-1'));
    // The broker is down: the command is refused (503) and goes into the trail as not sent.
    const command = await h.dashboard.app.inject({
      method: 'POST',
      url: '/api/command',
      payload: { device_id: 'pi-1', read_now: true, command_id: 'c-2' },
    });
    expect(command.statusCode).toBe(503);
    expectDescribed(errorResponseSchema, command.json());
  });
  afterAll(() => h.close());

  it('GET /api/data and /api/devices', async () => {
    expectDescribed(dataResponseSchema, (await get('/api/data')).json());
    const devices = (await get('/api/devices')).json();
    expect(devices.devices[0].latest).not.toBeNull();
    expectDescribed(devicesResponseSchema, devices);
  });

  it('GET /api/devices/:id/history, whole and in buckets of both forms', async () => {
    for (const query of ['', '?limit=5', '?limit=5&form=buckets']) {
      const body = (await get(`/api/devices/pi-1/history${query}`)).json();
      expect(body.history.length + (body.buckets?.length ?? 0), query).toBeGreaterThan(0);
      expectDescribed(historyResponseSchema, body);
    }
  });

  it('GET /api/devices/:id/commands', async () => {
    const body = (await get('/api/devices/pi-1/commands')).json();
    expect(body.commands).toHaveLength(1);
    expectDescribed(commandLogResponseSchema, body);
  });

  it('GET /api/me, /healthz and the tokens', async () => {
    expectDescribed(meResponseSchema, (await get('/api/me')).json());
    const health = await get('/healthz');
    expect(health.statusCode).toBe(503);
    expectDescribed(healthResponseSchema, health.json());
    const created = await h.dashboard.app.inject({
      method: 'POST',
      url: '/api/tokens',
      payload: { name: 'grafana', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    expectDescribed(tokenCreatedSchema, created.json());
    expectDescribed(tokensResponseSchema, (await get('/api/tokens')).json());
  });

  it('a refusal', async () => {
    const response = await get('/api/data?limit=0');
    expect(response.statusCode).toBe(400);
    expectDescribed(errorResponseSchema, response.json());
  });
});
