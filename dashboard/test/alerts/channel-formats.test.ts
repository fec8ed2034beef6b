import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturingLogger, eventually, telemetry } from '../server/fixtures.js';
import { type Harness, startHarness } from '../server/harness.js';
import { Receiver } from './receiver.js';

const BOT_TOKEN = '123456:SECRET-bot-token_abcdefghij';
const NTFY_TOKEN = 'tk_ntfysecret0123456789';

// Every channel against a real local HTTP server, through the dashboard's routes and its queue.
describe('notification channels and their formats', () => {
  let h: Harness;
  let receiver: Receiver;
  let log: ReturnType<typeof capturingLogger>;
  let seq = 0;

  beforeEach(async () => {
    seq = 0;
    receiver = new Receiver();
    await receiver.start();
    log = capturingLogger('info');
    h = await startHarness({
      logger: log.logger,
      alerts: { telegramApi: `${receiver.base}/tg`, retryInitialMs: 50 },
    });
  });
  afterEach(async () => {
    await h.close();
    await receiver.stop();
  });

  const inject = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) =>
    h.dashboard.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const allChannels = () => ({
    webhook: { url: `${receiver.base}/hook?key=webhook-secret`, token: 'hook-token-123' },
    ntfy: { url: `${receiver.base}/ntfy/greenhouse-topic`, token: NTFY_TOKEN },
    slack: { url: `${receiver.base}/slack/T000/B000/slacksecret` },
    telegram: { bot_token: BOT_TOKEN, chat_id: '-1001234' },
  });
  const reading = (overrides: Partial<Telemetry>) => {
    h.clock.advance(5000);
    return h.deliver('devices/gh-1/data', telemetry({ device_id: 'gh-1', seq: seq++, ...overrides }));
  };

  it('stores the channels and answers them masked: no secret in the answer', async () => {
    const put = await inject('PUT', '/api/alerts/channels', allChannels());
    expect(put.statusCode).toBe(200);
    const got = await inject('GET', '/api/alerts/channels');
    for (const text of [put.body, got.body]) {
      for (const secret of [
        'webhook-secret',
        'hook-token-123',
        NTFY_TOKEN,
        'slacksecret',
        BOT_TOKEN,
        '-1001234',
      ])
        expect(text).not.toContain(secret);
    }
    const { channels } = got.json();
    expect(channels.slack.url).toBe(`${receiver.base}/••••`);
    expect(channels.telegram).toEqual({ bot_token: '••••', chat_id: '••••' });
    // Sending the masked answer back keeps the secrets: the test still reaches the real URLs.
    expect((await inject('PUT', '/api/alerts/channels', channels)).statusCode).toBe(200);
    const test = await inject('POST', '/api/alerts/channels/test');
    expect(test.json().results.map((r: { channel: string; ok: boolean }) => [r.channel, r.ok])).toEqual([
      ['webhook', true],
      ['ntfy', true],
      ['slack', true],
      ['telegram', true],
    ]);
    expect(receiver.to('/slack/T000/B000/slacksecret')).toHaveLength(1);
  });

  it('refuses a bad channel with one sentence, never echoing the secret, and keeps the stored ones', async () => {
    await inject('PUT', '/api/alerts/channels', allChannels());
    const cases: Array<[unknown, string]> = [
      [
        { slack: { url: 'ftp://secret-host/x' } },
        'Field "slack.url" received a text of 19 characters; accepted: an http:// or https:// URL of at most 2000 characters.',
      ],
      [
        { telegram: { bot_token: 'nope', chat_id: '1' } },
        'Field "telegram.bot_token" received a text of 4 characters; accepted: a bot token as BotFather gives it, e.g. "123456:ABC-DEF…".',
      ],
      [{ pager: {} }, 'Field "pager" is not accepted; accepted: "webhook", "ntfy", "slack", "telegram".'],
      [
        { slack: { url: 'https://elsewhere.example/••••' } },
        'Field "slack.url" received a masked value that is not the stored one\'s; accepted: an http:// or https:// URL of at most 2000 characters.',
      ],
    ];
    for (const [body, sentence] of cases) {
      const response = await inject('PUT', '/api/alerts/channels', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toBe(sentence);
    }
    expect((await inject('POST', '/api/alerts/channels/test')).json().results).toHaveLength(4);
  });

  it('sends each format as its service expects it (test button)', async () => {
    await inject('PUT', '/api/alerts/channels', allChannels());
    const results = (await inject('POST', '/api/alerts/channels/test')).json().results;
    expect(results.every((r: { ok: boolean; status: number }) => r.ok && r.status === 200)).toBe(true);

    const [hook] = receiver.to('/hook');
    expect(hook?.method).toBe('POST');
    expect(hook?.path).toBe('/hook?key=webhook-secret');
    expect(hook?.headers['content-type']).toBe('application/json');
    expect(hook?.headers.authorization).toBe('Bearer hook-token-123');
    const json = JSON.parse(hook?.body ?? '');
    expect(json).toMatchObject({
      id: 'incident-0-test',
      event: 'test',
      incident: {
        device_id: 'sample-device',
        rule: 'frost',
        value: 1.5,
        threshold: 2,
        unit: '°C',
        state: 'open',
      },
    });
    expect(json.text).toMatch(/^Test: Frost on sample-device: 1.5°C, below 2°C/);

    const [ntfy] = receiver.to('/ntfy/greenhouse-topic');
    expect(ntfy?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(ntfy?.headers.title).toBe('Test: Frost on sample-device');
    expect(ntfy?.headers.priority).toBe('2');
    expect(ntfy?.headers.tags).toBe('test_tube');
    expect(ntfy?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(ntfy?.body).toBe(json.text);

    const [slack] = receiver.to('/slack');
    expect(JSON.parse(slack?.body ?? '')).toEqual({ text: json.text });

    const [telegram] = receiver.to('/tg');
    expect(telegram?.path).toBe(`/tg/bot${BOT_TOKEN}/sendMessage`);
    expect(JSON.parse(telegram?.body ?? '')).toEqual({
      chat_id: '-1001234',
      text: json.text,
      disable_web_page_preview: true,
    });
  });

  it('tells each channel once when an incident opens and once when it is resolved, with the ntfy priorities and tags', async () => {
    await inject('PUT', '/api/alerts/channels', allChannels());
    await reading({ temperature: 1 });
    await reading({ temperature: 0.5 });
    await eventually(() => receiver.received.length === 4, 5000, 'four opened notifications');
    await reading({ temperature: 5 });
    await eventually(() => receiver.received.length === 8, 5000, 'four resolved notifications');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(8);
    const hooks = receiver.to('/hook').map((r) => JSON.parse(r.body));
    expect(hooks.map((b) => [b.id, b.event, b.incident.state])).toEqual([
      ['incident-1-opened', 'opened', 'open'],
      ['incident-1-resolved', 'resolved', 'resolved'],
    ]);
    expect(hooks[1].text).toMatch(
      /^Resolved: Frost on gh-1 \(5°C now; raised at 1°C, below 2°C; open 0 min\)$/,
    );
    expect(receiver.to('/ntfy').map((r) => [r.headers.priority, r.headers.tags])).toEqual([
      ['4', 'warning'],
      ['3', 'white_check_mark'],
    ]);
    const slack = receiver.to('/slack').map((r) => JSON.parse(r.body).text);
    expect(slack[0]).toBe('Frost on gh-1: 1°C, below 2°C');
  });

  it('retries a failing channel with back-off until it answers, and logs the failure without secrets', async () => {
    receiver.statusFor.set('/tg', 500);
    await inject('PUT', '/api/alerts/channels', { telegram: allChannels().telegram });
    await reading({ temperature: 1 });
    // The queue's times are the dashboard's clock (the test's): the next attempt is due once it has moved on.
    await eventually(
      () => {
        h.clock.advance(1000);
        return receiver.to('/tg').length >= 2;
      },
      5000,
      'a second attempt',
    );
    receiver.statusFor.delete('/tg');
    await eventually(
      () => {
        h.clock.advance(1000);
        return log.lines.some((line) => String(line.msg).startsWith('Notification sent: telegram'));
      },
      5000,
      'the notification sent',
    );
    const failures = log.lines.filter((line) =>
      String(line.msg).includes('notification of incident 1 (opened) failed'),
    );
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]?.msg).toMatch(
      /^The telegram notification of incident 1 \(opened\) failed \(the service answered HTTP 500 \(\{"ok":false,"description":"refused by the test"\}\)\); attempt 1 of 20, next in 0 s$/,
    );
    expect(JSON.stringify(log.lines)).not.toContain(BOT_TOKEN);
    const metrics = (await inject('GET', '/metrics')).body;
    expect(metrics).toContain('fleet_alert_notifications_total{channel="telegram",outcome="sent"} 1');
    expect(metrics).toMatch(/fleet_alert_notifications_total\{channel="telegram",outcome="failed"\} [1-9]/);
    expect(metrics).toContain('fleet_alerts_open{rule="frost"} 1');
  });

  it('reports an unreachable channel in the test results, and refuses a test with no channel set', async () => {
    expect((await inject('POST', '/api/alerts/channels/test')).statusCode).toBe(409);
    const gone = new Receiver();
    await gone.start();
    await gone.stop(); // its port now refuses connections
    await inject('PUT', '/api/alerts/channels', { slack: { url: `${gone.base}/secret-path` } });
    const { results } = (await inject('POST', '/api/alerts/channels/test')).json();
    expect(results).toEqual([
      { channel: 'slack', ok: false, status: null, error: 'the request failed (ECONNREFUSED)' },
    ]);
  });
});
