/** Retries, headers and error reading, shared by every call. */

import {
  APIConnectionError,
  APIError,
  errorFromEnvelope,
  type ErrorEnvelope,
} from "./errors.js";

export const DEFAULT_BASE_URL = "https://api.harvest.ai/v1";
export const USER_AGENT = "harvest-ai-typescript/0.1.0";

/**
 * When and how long to wait before sending a request again.
 *
 * 429, 503 and connection errors are retried, up to `maxRetries` times. The
 * wait is the server's `Retry-After` when it sends one (one longer than
 * `maxRetryAfter` seconds is not waited for: the error is thrown), else an
 * exponential backoff with jitter. A CONFLICT saying that an earlier try with
 * the same Idempotency-Key still runs (a lost answer of a long generation) is
 * asked again after its `Retry-After`, for at most `inProgressWait` seconds
 * in all, without counting as a retry. Every method is retried;
 * POSTs are safe to retry thanks to their Idempotency-Key, and a DELETE whose
 * answer was lost answers NOT_FOUND when it is tried again.
 */
export interface RetryPolicy {
  maxRetries: number;
  /** Seconds before the first retry without a hint; doubles each time. */
  backoffBase: number;
  backoffMax: number;
  maxRetryAfter: number;
  inProgressWait: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  backoffBase: 0.5,
  backoffMax: 8,
  maxRetryAfter: 60,
  inProgressWait: 120,
};

export const NO_RETRIES: RetryPolicy = { ...DEFAULT_RETRY, maxRetries: 0, inProgressWait: 0 };

/** Seconds to wait before retry `attempt` (1-based), or null to give up. */
export function retryWait(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: number | null,
): number | null {
  if (attempt > policy.maxRetries) return null;
  if (retryAfter === null) {
    const ceiling = Math.min(policy.backoffMax, policy.backoffBase * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
  if (retryAfter > policy.maxRetryAfter) return null;
  return Math.max(retryAfter, 0);
}

export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export function retryAfterSeconds(response: Response): number | null {
  const raw = response.headers.get("retry-after");
  if (raw === null) return null;
  const seconds = Number(raw.trim());
  if (Number.isFinite(seconds)) return seconds;
  const when = Date.parse(raw);
  return Number.isNaN(when) ? null : Math.max((when - Date.now()) / 1000, 0);
}

export function newIdempotencyKey(): string {
  return `hv-idem-${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}

async function envelopeOf(response: Response): Promise<ErrorEnvelope> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: ErrorEnvelope };
    if (body && typeof body.error === "object" && body.error !== null) {
      return body.error;
    }
  } catch {
    // Not JSON: described below.
  }
  return {
    message: `HTTP ${response.status} without an error envelope`,
    request_id: response.headers.get("x-request-id"),
  };
}

/** The typed error of an error response (reads its body). */
export async function errorOf(response: Response): Promise<APIError> {
  const error = await envelopeOf(response);
  error.request_id ??= response.headers.get("x-request-id");
  return errorFromEnvelope(error, response.status, retryAfterSeconds(response));
}

/** Why the same request may succeed later, or null when it would not. */
async function retryKind(response: Response): Promise<"retry" | "in_progress" | null> {
  if (response.status === 429 || response.status === 503) return "retry";
  if (response.status !== 409) return null;
  const error = await envelopeOf(response.clone());
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  return reason === "in_progress" ? "in_progress" : null;
}

export interface SendOptions {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  timeoutSeconds: number;
  retry: RetryPolicy;
  fetch: typeof fetch;
}


/**
 * The first answer worth returning, after the retries it deserves. An error
 * answer is returned as it is (the caller throws it); only connection
 * errors that outlast the retries are thrown here.
 */
export async function send(options: SendOptions): Promise<Response> {
  let retries = 0;
  let waitedInProgress = 0;
  for (;;) {
    let response: Response;
    // The timeout bounds the wait for the answer's headers, not the reading
    // of its body: a stream may run longer than any one request should wait.
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("no answer in time", "TimeoutError")),
      options.timeoutSeconds * 1000,
    );
    try {
      response = await options.fetch(options.url, {
        method: options.method,
        headers: options.headers,
        body: options.body,
        signal: options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const wait = retryWait(options.retry, ++retries, null);
      if (wait === null) {
        throw new APIConnectionError(`${options.method} ${options.url}: ${String(error)}`, {
          cause: error,
        });
      }
      await sleep(wait, options.signal);
      continue;
    } finally {
      clearTimeout(timer);
    }
    const kind = await retryKind(response);
    let wait: number | null = null;
    if (kind === "in_progress") {
      const hint = retryAfterSeconds(response) ?? 1;
      if (waitedInProgress + hint <= options.retry.inProgressWait) {
        waitedInProgress += hint;
        wait = hint;
      }
    } else if (kind === "retry") {
      wait = retryWait(options.retry, ++retries, retryAfterSeconds(response));
    }
    if (wait === null) return response;
    await response.body?.cancel();
    await sleep(wait, options.signal);
  }
}

export function queryString(values: object | undefined): string {
  if (!values) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
