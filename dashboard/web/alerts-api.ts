import type {
  ChannelsResponse,
  ChannelsSettings,
  ChannelTestResponse,
  IncidentsResponse,
  RulesResponse,
} from './alerts-types.js';
import { errorSentence, type HttpClient, HttpError } from './http.js';

/** The alerts routes of the REST API. */
export class AlertsApi {
  constructor(private readonly http: HttpClient) {}

  incidents(limit: number): Promise<IncidentsResponse> {
    return this.http.getJson<IncidentsResponse>(`/api/alerts?limit=${limit}`);
  }

  rules(): Promise<RulesResponse> {
    return this.http.getJson<RulesResponse>('/api/alerts/rules');
  }

  channels(): Promise<ChannelsResponse> {
    return this.http.getJson<ChannelsResponse>('/api/alerts/channels');
  }

  saveRules(rules: RulesResponse['defaults']): Promise<RulesResponse> {
    return this.json<RulesResponse>('/api/alerts/rules', 'PUT', rules);
  }

  /** Replaces `deviceId`'s own rules (only the fields that differ from the fleet's defaults). */
  saveDeviceRules(deviceId: string, rules: Partial<RulesResponse['defaults']>): Promise<RulesResponse> {
    return this.json<RulesResponse>(`/api/alerts/rules/${encodeURIComponent(deviceId)}`, 'PUT', rules);
  }

  /** Removes `deviceId`'s own rules: the fleet's defaults apply to it. */
  async clearDeviceRules(deviceId: string): Promise<void> {
    const path = `/api/alerts/rules/${encodeURIComponent(deviceId)}`;
    const response = await this.http.send(path, { method: 'DELETE' });
    if (!response.ok) throw new HttpError(response.status, await errorSentence(response, path));
  }

  saveChannels(channels: ChannelsSettings): Promise<ChannelsResponse> {
    return this.json<ChannelsResponse>('/api/alerts/channels', 'PUT', channels);
  }

  test(): Promise<ChannelTestResponse> {
    return this.json<ChannelTestResponse>('/api/alerts/channels/test', 'POST', {});
  }

  private async json<T>(path: string, method: string, body: unknown): Promise<T> {
    const response = await this.http.sendJson(path, method, body);
    if (!response.ok) throw new HttpError(response.status, await errorSentence(response, path));
    return (await response.json()) as T;
  }
}
