import { describe, expect, it } from 'vitest';
import { parseAck, parseCommand, parseStatus, parseTelemetry } from '../src/index.js';

const telemetry = {
  device_id: 'simulator-001',
  timestamp: '2026-11-27T15:30:45.123Z',
  temperature: 23.45,
  humidite: 62.3,
  pression: 1013.2,
  batterie: 98.5,
  mode: 'auto',
  firmware: 'v1.0.0',
  alerte: false,
  uptime: 1234,
  seq: 42,
  source: 'bme280',
};

function rejectionOf(payload: unknown): string {
  const result = parseCommand(typeof payload === 'string' ? payload : JSON.stringify(payload), 'dev-1');
  if (result.ok) throw new Error(`expected a rejection of ${JSON.stringify(payload)}`);
  return result.error;
}

describe('commands', () => {
  it('accepts every action alone and together', () => {
    const all = {
      mode: 'economie',
      intervalle: 60,
      seuil_alerte: 15,
      actif: false,
      update_firmware: 'v1.1.0',
      read_now: true,
      command_id: 'c'.repeat(64),
      device_id: 'dev-1',
    };
    expect(parseCommand(JSON.stringify(all), 'dev-1')).toEqual({ ok: true, value: all });
    expect(parseCommand('{"intervalle":1}', 'dev-1')).toEqual({ ok: true, value: { intervalle: 1 } });
    expect(parseCommand(Buffer.from('{"seuil_alerte":45.0}'), 'dev-1').ok).toBe(true);
  });

  it.each([
    [{ intervalle: 0 }, 'Field "intervalle" received 0; accepted: a whole number of seconds from 1 to 60.'],
    [{ intervalle: 61 }, 'Field "intervalle" received 61; accepted: a whole number of seconds from 1 to 60.'],
    [
      { intervalle: 2.5 },
      'Field "intervalle" received 2.5; accepted: a whole number of seconds from 1 to 60.',
    ],
    [
      { intervalle: '5' },
      'Field "intervalle" received "5"; accepted: a whole number of seconds from 1 to 60.',
    ],
    [
      { seuil_alerte: 14.9 },
      'Field "seuil_alerte" received 14.9; accepted: a temperature in °C from 15.0 to 45.0.',
    ],
    [{ mode: 'turbo' }, 'Field "mode" received "turbo"; accepted: one of "auto", "manuel", "economie".'],
    [{ actif: 'yes' }, 'Field "actif" received "yes"; accepted: true or false.'],
    [{ read_now: false }, 'Field "read_now" received false; accepted: true.'],
    [
      { update_firmware: '1.1' },
      /^Field "update_firmware" received "1.1"; accepted: a version such as "v1.1.0"/,
    ],
    [{ intervalle: 5, command_id: '' }, /^Field "command_id" received ""; accepted: a string of 1 to 64/],
    [{ intervalle: 5, colour: 'red' }, /^Field "colour" is not accepted; accepted fields: mode, intervalle/],
    [{}, /^The command received \{\} with no action; accepted: at least one of mode, intervalle/],
    [{ command_id: 'x' }, /with no action/],
    [
      { intervalle: 5, device_id: 'dev-2' },
      'Field "device_id" received "dev-2"; accepted: "dev-1", the device the command is sent to.',
    ],
    ['not json', 'The command received "not json", which is not JSON; accepted: a JSON object.'],
    ['[1,2]', 'The command received [1,2]; accepted: a JSON object.'],
  ])('rejects %j with a sentence naming the field, the value and what is accepted', (payload, expected) => {
    const error = rejectionOf(payload);
    if (typeof expected === 'string') expect(error).toBe(expected);
    else expect(error).toMatch(expected);
  });

  it('rejects a command whole when one field of several is bad', () => {
    expect(rejectionOf({ mode: 'manuel', intervalle: 10, seuil_alerte: 99 })).toMatch(
      /^Field "seuil_alerte" received 99/,
    );
  });
});

describe('telemetry, status and ack', () => {
  it('accepts the original telemetry format with seq and source', () => {
    expect(parseTelemetry(JSON.stringify(telemetry))).toEqual({ ok: true, value: telemetry });
    expect(parseTelemetry(JSON.stringify({ ...telemetry, humidite: null, source: 'bmp280' })).ok).toBe(true);
  });

  it('names the bad telemetry field', () => {
    const result = parseTelemetry(JSON.stringify({ ...telemetry, seq: -1 }));
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Field "seq" received -1; accepted: /),
    });
    const missing = parseTelemetry(JSON.stringify({ ...telemetry, temperature: undefined }));
    expect(missing).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Field "temperature" received nothing/),
    });
  });

  it('accepts the last will and a full online status', () => {
    expect(parseStatus('{"device_id":"dev-1","online":false}').ok).toBe(true);
    const online = {
      device_id: 'dev-1',
      online: true,
      firmware: 'v1.0.0',
      mode: 'auto',
      intervalle: 5,
      seuil_alerte: 30,
      actif: true,
      alerte: false,
      sensor: { source: 'synthetic', bus: null, address: null, healthy: true, error: null },
      ota: {
        state: 'idle',
        progress: 0,
        target_version: null,
        previous_version: null,
        error: null,
        command_id: null,
        updated_at: '2026-11-27T15:30:45.123Z',
      },
      timestamp: '2026-11-27T15:30:45.123Z',
    };
    expect(parseStatus(JSON.stringify(online)).ok).toBe(true);
    expect(parseStatus(JSON.stringify({ ...online, ota: undefined })).ok).toBe(false);
  });

  it('accepts an ack and refuses one with an unknown status', () => {
    const ack = {
      device_id: 'dev-1',
      command_id: 'c-1',
      status: 'rejected',
      error: 'Field "intervalle" received 0; accepted: a whole number of seconds from 1 to 60.',
      settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
      firmware: 'v1.0.0',
      timestamp: '2026-11-27T15:30:45.123Z',
    };
    expect(parseAck(JSON.stringify(ack)).ok).toBe(true);
    expect(parseAck(JSON.stringify({ ...ack, status: 'maybe' })).ok).toBe(false);
  });
});
