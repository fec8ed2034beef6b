/**
 * Errors that become HTTP responses. Routes and services throw them; the one error handler turns each into
 * `{"status":"error","error": <message>, ...extra}` with its status code.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** More fields of the response body, e.g. the device's ack or the command id. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** 400: a body, query or path parameter that is not accepted. */
export class ValidationError extends HttpError {
  override name = 'ValidationError';
  constructor(message: string) {
    super(400, message);
  }
}

/** 404: an unknown route or device. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super(404, message);
  }
}

/** 422: the device received the command and rejected it. */
export class CommandRejectedError extends HttpError {
  override name = 'CommandRejectedError';
  constructor(message: string, extra: Record<string, unknown>) {
    super(422, message, extra);
  }
}

/** 503: the MQTT broker cannot take the command. */
export class BrokerUnavailableError extends HttpError {
  override name = 'BrokerUnavailableError';
  constructor(message: string) {
    super(503, message);
  }
}

/** 503: a bound is reached (event stream clients, command waits); the sentence names it. */
export class ServiceUnavailableError extends HttpError {
  override name = 'ServiceUnavailableError';
  constructor(message: string) {
    super(503, message);
  }
}

/** 504: the command was sent but the device did not answer in time. */
export class AckTimeoutError extends HttpError {
  override name = 'AckTimeoutError';
  constructor(message: string, extra: Record<string, unknown>) {
    super(504, message, extra);
  }
}

/** 401: no login session and no API token (or one that is not valid). */
export class UnauthorizedError extends HttpError {
  override name = 'UnauthorizedError';
  constructor(message: string) {
    super(401, message);
  }
}

/** 403: a role too low, a password to change first, a host or a cross-site request refused. */
export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super(403, message);
  }
}

/** 409: the request contradicts the state: a command id used already, logins that are off. */
export class ConflictError extends HttpError {
  override name = 'ConflictError';
  constructor(message: string) {
    super(409, message);
  }
}

/** 429: too many login attempts; the response has `Retry-After` (whole seconds). */
export class TooManyRequestsError extends HttpError {
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}
