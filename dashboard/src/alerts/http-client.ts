/** One HTTP request a channel sends. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What came back: the status, and the start of the body (to say why a service refused). */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** How notifications leave the dashboard: POST and the answer, or a thrown error (network, timeout). */
export interface HttpClient {
  post(request: OutgoingRequest, signal?: AbortSignal): Promise<HttpAnswer>;
}

export const HTTP_TIMEOUT_MS = 10_000;

/** Node's fetch, with a timeout (default 10 s); the answer's body is read up to 500 characters. */
export function fetchClient(timeoutMs = HTTP_TIMEOUT_MS): HttpClient {
  return {
    async post(request, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const body = (await response.text()).slice(0, 500);
      return { status: response.status, body };
    },
  };
}
