import type { Logger } from '@fleet/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorResponse } from '../api-types.js';
import { HttpError, NotFoundError, TooManyRequestsError } from '../errors.js';

export const ROUTES_ACCEPTED =
  'GET /, GET /static/*, GET /js/*, GET /vendor/chart.umd.js, GET /vendor/chartjs-adapter-date-fns.bundle.min.js, ' +
  'GET /api/data, GET /api/devices, DELETE /api/devices/:id, GET /api/devices/:id/history, GET /api/devices/:id/history.csv, ' +
  'GET /api/devices/:id/commands, GET /api/events, POST /api/command, POST /api/login, POST /api/logout, GET /api/me, POST /api/me/password, GET /api/tokens, ' +
  'POST /api/tokens, DELETE /api/tokens/:id, GET /api/alerts, GET /api/alerts/rules, PUT /api/alerts/rules, ' +
  'PUT /api/alerts/rules/:deviceId, DELETE /api/alerts/rules/:deviceId, GET /api/alerts/channels, PUT /api/alerts/channels, ' +
  'POST /api/alerts/channels/test, GET /api/docs, GET /api/docs/json, GET /healthz, GET /metrics';

/** Fastify's own request errors, as HttpErrors with a sentence. */
function fromFastify(error: FastifyError, request: FastifyRequest, bodyLimit: number): HttpError | null {
  const length = request.headers['content-length'];
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        `The request body received ${length ? `${length} bytes` : 'more bytes than allowed'}; accepted: at most ${bodyLimit} bytes (${bodyLimit / 1024} KiB).`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(
        415,
        `Header "content-type" received ${JSON.stringify(request.headers['content-type'] ?? '')}; accepted: "application/json".`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'The request body received nothing; accepted: a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'The request body received text that is not JSON; accepted: a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(
        400,
        `Header "content-length" received ${JSON.stringify(length ?? '')}; accepted: the length of the body sent.`,
      );
    default:
      return null;
  }
}

/**
 * The one place where errors become responses: `{"status":"error","error": <sentence>, …}` with the status
 * code of the HttpError thrown, of Fastify's own request error, or 500 for anything unexpected (logged).
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let httpError = error instanceof HttpError ? error : fromFastify(error, request, bodyLimit);
    if (
      !httpError &&
      typeof error.statusCode === 'number' &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      httpError = new HttpError(
        error.statusCode,
        `The request ${request.method} ${request.url} was not accepted: ${error.message.replace(/\.?$/, '.')}`,
      );
    }
    if (!httpError) {
      logger.error({ err: error, method: request.method, url: request.url }, 'Request failed');
      httpError = new HttpError(500, 'The dashboard server could not handle the request; its log says why.');
    }
    if (httpError instanceof TooManyRequestsError) reply.header('retry-after', httpError.retryAfterSeconds);
    const body: ErrorResponse = { status: 'error', error: httpError.message, ...httpError.extra };
    return reply.code(httpError.statusCode).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0];
    throw new NotFoundError(`No route matches ${request.method} ${path}; accepted: ${ROUTES_ACCEPTED}.`);
  });
}
