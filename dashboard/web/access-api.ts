import { errorSentence, type HttpClient, HttpError } from './http.js';
import type { MeResponse, RoleName, TokenCreatedResponse, TokenSummary, TokensResponse } from './types.js';

/** Who the page is for, as `GET /api/me` says; `signed-out` is its 401. */
export type MeResult =
  | { kind: 'me'; me: MeResponse }
  | { kind: 'signed-out' }
  | { kind: 'unreachable'; reason: string };

/** A refusal in the server's words; `retryAfterS` when logins are throttled (429). */
export type Refusal = { ok: false; reason: string; retryAfterS: number | null };
export type Result = { ok: true } | Refusal;

/**
 * The server's access-control API: who am I, log in and out, change the password, and (admins) the API
 * tokens. A wrong password's 401 is an answer here, not a session that ended.
 */
export class AccessApi {
  constructor(private readonly http: HttpClient) {}

  async me(): Promise<MeResult> {
    let response: Response;
    try {
      response = await this.http.send('/api/me', {}, { signal401: false });
    } catch (error) {
      return { kind: 'unreachable', reason: (error as Error).message };
    }
    if (response.status === 401) return { kind: 'signed-out' };
    if (response.status === 404) return { kind: 'me', me: WITHOUT_ACCESS_CONTROL };
    if (!response.ok) return { kind: 'unreachable', reason: await errorSentence(response, '/api/me') };
    return { kind: 'me', me: (await response.json()) as MeResponse };
  }

  /** Asks /api/me only so that a 401 reaches the HttpClient's listeners (the session has ended). */
  async probe(): Promise<void> {
    try {
      await this.http.send('/api/me');
    } catch {
      // Unreachable: the stream's own retry goes on.
    }
  }

  login(username: string, password: string): Promise<Result> {
    return this.post('/api/login', { username, password });
  }

  /** Ends the session; false when the server could not be reached to end it. */
  async logout(): Promise<boolean> {
    try {
      const response = await this.http.send('/api/logout', { method: 'POST' }, { signal401: false });
      return response.ok || response.status === 401;
    } catch {
      return false;
    }
  }

  changePassword(currentPassword: string, newPassword: string): Promise<Result> {
    return this.post('/api/me/password', { current_password: currentPassword, new_password: newPassword });
  }

  async tokens(): Promise<TokenSummary[]> {
    return (await this.http.getJson<TokensResponse>('/api/tokens')).tokens;
  }

  /** A new token, with its secret (shown once); throws HttpError with the server's sentence. */
  async createToken(name: string, role: RoleName): Promise<TokenCreatedResponse> {
    const response = await this.http.sendJson('/api/tokens', 'POST', { name, role });
    if (!response.ok)
      throw new HttpError(response.status, await errorSentence(response, 'Creating the token'));
    return (await response.json()) as TokenCreatedResponse;
  }

  async revokeToken(id: string): Promise<void> {
    const response = await this.http.send(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!response.ok)
      throw new HttpError(response.status, await errorSentence(response, 'Revoking the token'));
  }

  /** POSTs a form whose 401 is a refusal (wrong password), not the end of a session. */
  private async post(path: string, body: unknown): Promise<Result> {
    let response: Response;
    try {
      response = await this.http.sendJson(path, 'POST', body, { signal401: false });
    } catch {
      return {
        ok: false,
        reason: 'The dashboard server cannot be reached. Try again shortly.',
        retryAfterS: null,
      };
    }
    if (response.ok) return { ok: true };
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      ok: false,
      reason: await errorSentence(response, 'The server'),
      retryAfterS:
        response.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    };
  }
}

/** What a server without access control (no /api/me) is: everything allowed, nobody logged in. */
const WITHOUT_ACCESS_CONTROL: MeResponse = {
  auth: 'off',
  user: { name: 'anonymous', role: 'admin', kind: 'anonymous', must_change_password: false },
};
