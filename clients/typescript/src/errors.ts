/**
 * What the client throws.
 *
 *     HarvestError                   anything this package throws
 *     ├── APIError                   the server answered with the error envelope
 *     │   ├── Unauthorized           UNAUTHORIZED         401
 *     │   ├── Forbidden              FORBIDDEN            403
 *     │   ├── NotFound               NOT_FOUND            404
 *     │   ├── ValidationFailed       VALIDATION_ERROR     400
 *     │   ├── RateLimited            RATE_LIMITED         429
 *     │   ├── QuotaExceeded          QUOTA_EXCEEDED       402
 *     │   ├── ServerError            SERVER_ERROR         500
 *     │   ├── ServiceUnavailable     SERVICE_UNAVAILABLE  503
 *     │   ├── Timeout                TIMEOUT              504
 *     │   ├── Conflict               CONFLICT             409
 *     │   ├── UnsupportedModel       UNSUPPORTED_MODEL    400
 *     │   └── ContentFiltered        CONTENT_FILTERED     400
 *     ├── APIConnectionError         no answer (refused, reset, timed out)
 *     ├── RealtimeClosed             the WebSocket closed with one of the spec's codes
 *     └── WebhookVerificationError   a webhook's signature does not match
 */

export type ErrorCode =
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION_ERROR"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "SERVER_ERROR"
  | "SERVICE_UNAVAILABLE"
  | "TIMEOUT"
  | "CONFLICT"
  | "UNSUPPORTED_MODEL"
  | "CONTENT_FILTERED";

/** The `error` object of the spec's envelope. */
export interface ErrorEnvelope {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  request_id?: string | null;
  documentation_url?: string;
  retry_after?: number;
  [key: string]: unknown;
}

export class HarvestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface APIErrorInit {
  code: string;
  details?: Record<string, unknown>;
  requestId?: string | null;
  status?: number | null;
  retryAfter?: number | null;
  body?: ErrorEnvelope;
}

/** The server refused the request and said why, in the spec's envelope. */
export class APIError extends HarvestError {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;
  readonly status: number | null;
  /** Seconds to wait before trying again, when the server said. */
  readonly retryAfter: number | null;
  readonly body: ErrorEnvelope;

  constructor(message: string, init: APIErrorInit) {
    super(message);
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
    this.status = init.status ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.body = init.body ?? {};
  }
}

/** No credential, or one the server does not accept. */
export class Unauthorized extends APIError {}
/** The credential is valid but may not do this. */
export class Forbidden extends APIError {}
/** No such resource, or not one the caller can see. */
export class NotFound extends APIError {}
/** The input was refused; `details` names the field and the reason. */
export class ValidationFailed extends APIError {}
/** Too many requests; `retryAfter` says how long to wait. */
export class RateLimited extends APIError {}
/** A usage limit of the plan was reached. */
export class QuotaExceeded extends APIError {}
/** The server failed unexpectedly. */
export class ServerError extends APIError {}
/** The server, or a service it needs, is down for now. */
export class ServiceUnavailable extends APIError {}
/** The server gave up waiting (for instance on the model). */
export class Timeout extends APIError {}
/** The request clashes with the resource's state. */
export class Conflict extends APIError {}
/** The model is not served; `details.supported_models` lists those that are. */
export class UnsupportedModel extends APIError {}
/** The model refused the content. */
export class ContentFiltered extends APIError {}

/** No answer from the server, after every retry. */
export class APIConnectionError extends HarvestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) {
      (this as { cause?: unknown }).cause = options.cause;
    }
  }
}

/** The WebSocket was closed; `closeCode` is one of the spec's codes. */
export class RealtimeClosed extends HarvestError {
  constructor(
    readonly closeCode: number,
    readonly reason: string,
  ) {
    super(`WebSocket closed (${closeCode})${reason ? `: ${reason}` : ""}`);
  }
}

/** A webhook's signature does not match, or its timestamp is too old. */
export class WebhookVerificationError extends HarvestError {}

const ERRORS_BY_CODE: Record<ErrorCode, typeof APIError> = {
  UNAUTHORIZED: Unauthorized,
  FORBIDDEN: Forbidden,
  NOT_FOUND: NotFound,
  VALIDATION_ERROR: ValidationFailed,
  RATE_LIMITED: RateLimited,
  QUOTA_EXCEEDED: QuotaExceeded,
  SERVER_ERROR: ServerError,
  SERVICE_UNAVAILABLE: ServiceUnavailable,
  TIMEOUT: Timeout,
  CONFLICT: Conflict,
  UNSUPPORTED_MODEL: UnsupportedModel,
  CONTENT_FILTERED: ContentFiltered,
};

const CODES_BY_STATUS: Record<number, ErrorCode> = {
  400: "VALIDATION_ERROR",
  401: "UNAUTHORIZED",
  402: "QUOTA_EXCEEDED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  429: "RATE_LIMITED",
  500: "SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
  504: "TIMEOUT",
};

/** The typed error for an envelope's `error` object. */
export function errorFromEnvelope(
  error: ErrorEnvelope,
  status: number | null = null,
  retryAfter: number | null = null,
): APIError {
  const code = error.code ?? CODES_BY_STATUS[status ?? 500] ?? "SERVER_ERROR";
  const Class = ERRORS_BY_CODE[code as ErrorCode] ?? APIError;
  const hinted = typeof error.retry_after === "number" ? error.retry_after : null;
  return new Class(error.message ?? code, {
    code,
    details:
      error.details && typeof error.details === "object" ? error.details : {},
    requestId: error.request_id ?? null,
    status,
    retryAfter: retryAfter ?? hinted,
    body: error,
  });
}
