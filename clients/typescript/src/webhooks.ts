/**
 * Checking that a webhook delivery really comes from Harvest, with the
 * platform's Web Crypto (no dependency).
 *
 * `X-Harvest-Signature` is the spec's `sha256=<hex HMAC-SHA256 of the raw
 * body>` keyed with the secret string; `webhook-signature` is the Standard
 * Webhooks `v1,<base64>` over `{webhook-id}.{webhook-timestamp}.{body}`,
 * which also bounds replays in time. Verify the raw body, before parsing it.
 */

import { WebhookVerificationError } from "./errors.js";
import type { WebhookEvent } from "./types.js";

export const SIGNATURE_HEADER = "x-harvest-signature";
export const PREVIOUS_SIGNATURE_HEADER = "x-harvest-signature-previous";
export const DEFAULT_TOLERANCE_SECONDS = 300;

type Payload = string | Uint8Array;
type Headers = Record<string, string | string[] | undefined> | globalThis.Headers;

const encoder = new TextEncoder();

function bytes(value: Payload): Uint8Array<ArrayBuffer> {
  return typeof value === "string"
    ? encoder.encode(value)
    : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer);
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const cryptoKey = await globalThis.crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", cryptoKey, data));
}

function hex(data: Uint8Array): string {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function base64(data: Uint8Array): string {
  return btoa(String.fromCharCode(...data));
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

function header(headers: Headers, name: string): string | null {
  if (typeof (headers as globalThis.Headers).get === "function") {
    return (headers as globalThis.Headers).get(name);
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  }
  return null;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The `X-Harvest-Signature` value for `payload` under `secret`. */
export async function signPayload(payload: Payload, secret: string): Promise<string> {
  return `sha256=${hex(await hmac(encoder.encode(secret), bytes(payload)))}`;
}

/** Whether `signature` (`sha256=<hex>`) signs `payload` with `secret`. */
export async function verifySignature(
  payload: Payload,
  signature: string | null | undefined,
  secret: string,
): Promise<boolean> {
  if (!signature) return false;
  return sameText(await signPayload(payload, secret), signature.trim());
}

function standardKey(secret: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  } catch {
    return encoder.encode(secret);
  }
}

/** Whether the Standard Webhooks headers sign `payload` and are fresh. */
export async function verifyStandardSignature(
  payload: Payload,
  headers: Headers,
  secret: string,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<boolean> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) return false;
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt) || Math.abs(Date.now() / 1000 - sentAt) > toleranceSeconds) {
    return false;
  }
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), bytes(payload));
  const expected = base64(await hmac(standardKey(secret), signed));
  return signatures
    .split(" ")
    .some((candidate) => {
      const [version, value] = candidate.split(",", 2);
      return version === "v1" && value !== undefined && sameText(expected, value);
    });
}

/**
 * The verified event of a delivery, or `WebhookVerificationError`.
 *
 * Accepts the spec's signature (or, while a secret is rotated, the previous
 * secret's) and, when the Standard Webhooks headers are present, requires
 * them to verify and be at most `toleranceSeconds` old.
 */
export async function constructEvent(
  payload: Payload,
  headers: Headers,
  secret: string,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<WebhookEvent> {
  const signed =
    (await verifySignature(payload, header(headers, SIGNATURE_HEADER), secret)) ||
    (await verifySignature(payload, header(headers, PREVIOUS_SIGNATURE_HEADER), secret));
  if (!signed) {
    throw new WebhookVerificationError("X-Harvest-Signature does not match: check the endpoint's secret");
  }
  if (
    header(headers, "webhook-signature") !== null &&
    !(await verifyStandardSignature(payload, headers, secret, toleranceSeconds))
  ) {
    throw new WebhookVerificationError("webhook-signature does not match or webhook-timestamp is too old");
  }
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  try {
    return JSON.parse(text) as WebhookEvent;
  } catch (error) {
    throw new WebhookVerificationError(`The payload is not a webhook event: ${String(error)}`);
  }
}
