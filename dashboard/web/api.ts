import { type HttpClient, HttpError } from './http.js';
import type { Ack, CommandFields, CommandLogEntry, CommandLogResponse, HistoryResponse } from './types.js';

/** What became of a command, in the terms the page shows. */
export type CommandOutcome =
  | { kind: 'applied'; ack: Ack | null; commandId: string | null }
  | { kind: 'rejected'; reason: string; ack: Ack | null }
  | { kind: 'invalid'; reason: string }
  | { kind: 'unknown-device'; reason: string }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'signed-out'; reason: string }
  | { kind: 'broker-down'; reason: string }
  | { kind: 'timeout'; reason: string }
  | { kind: 'failed'; reason: string };

interface CommandResponse {
  status?: string;
  command_id?: string;
  ack?: Ack;
  error?: string;
}

/** The dashboard server's fleet API (devices, history, commands and their trail), over the page's HttpClient. */
export class ApiClient {
  constructor(private readonly http: HttpClient) {}

  /** A device's history over [from, to]: its readings when few enough, else min/avg/max time buckets. */
  async history(deviceId: string, from: Date, to: Date, limit: number): Promise<HistoryResponse> {
    const query = new URLSearchParams({
      from: from.toISOString(),
      to: to.toISOString(),
      limit: String(limit),
      form: 'buckets',
    });
    return this.http.getJson<HistoryResponse>(
      `/api/devices/${encodeURIComponent(deviceId)}/history?${query}`,
    );
  }

  /** The device's recent commands, newest first. */
  async commands(deviceId: string, limit: number): Promise<CommandLogEntry[]> {
    const body = await this.http.getJson<CommandLogResponse>(
      `/api/devices/${encodeURIComponent(deviceId)}/commands?limit=${limit}`,
    );
    return body.commands;
  }

  /**
   * Whether the server reaches the MQTT broker (`GET /healthz`, which answers 503 with the same body when
   * not). Null when the server cannot tell: unreachable, or without that route.
   */
  async brokerConnected(): Promise<boolean | null> {
    try {
      const response = await this.http.send('/healthz');
      if (response.status !== 200 && response.status !== 503) return null;
      const body = (await response.json()) as { mqtt?: string };
      return body.mqtt === 'connected' ? true : body.mqtt === 'disconnected' ? false : null;
    } catch {
      return null;
    }
  }

  /** Sends a command and waits up to `waitSeconds` for the device's ack. Never throws. */
  async command(deviceId: string, fields: CommandFields, waitSeconds: number): Promise<CommandOutcome> {
    let response: Response;
    let body: CommandResponse = {};
    try {
      response = await this.http.sendJson(`/api/command?wait=${waitSeconds}`, 'POST', {
        device_id: deviceId,
        ...fields,
      });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return {
        kind: 'failed',
        reason: 'The dashboard server could not be reached; the command was not sent.',
      };
    }
    try {
      body = (await response.json()) as CommandResponse;
    } catch {
      // Some errors come without a JSON body; the status code says enough.
    }
    return outcomeOf(response.status, body, waitSeconds);
  }
}

function outcomeOf(status: number, body: CommandResponse, waitSeconds: number): CommandOutcome {
  const error = body.error?.trim();
  if (status === 200) {
    if (body.ack?.status === 'rejected') {
      return { kind: 'rejected', reason: body.ack.error ?? 'The device gave no reason.', ack: body.ack };
    }
    return { kind: 'applied', ack: body.ack ?? null, commandId: body.command_id ?? null };
  }
  switch (status) {
    case 422:
      return { kind: 'rejected', reason: error || 'The device gave no reason.', ack: body.ack ?? null };
    case 400:
      return { kind: 'invalid', reason: error || 'The server did not accept the command.' };
    case 401:
      return { kind: 'signed-out', reason: 'Not sent: your session has ended. Log in again.' };
    case 403:
      return { kind: 'forbidden', reason: error || 'Your role does not allow sending commands.' };
    case 404:
      return { kind: 'unknown-device', reason: error || 'The server does not know this device.' };
    case 503:
      return {
        kind: 'broker-down',
        reason: error || 'The MQTT broker is unreachable, so the command was not sent. Try again shortly.',
      };
    case 504:
      return {
        kind: 'timeout',
        reason: `The command was sent, but the device did not confirm it within ${waitSeconds} s. It may be offline or busy.`,
      };
    default:
      return {
        kind: 'failed',
        reason: error || `The server answered ${status}; the command may not have been sent.`,
      };
  }
}
