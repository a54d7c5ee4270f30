/** Retries: a real 429 waited out, a lost answer retried without doubling the
 * work, a 503 retried, a dead server given up on. */

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import {
  APIConnectionError,
  HarvestClient,
  retryWait,
  ServiceUnavailable,
  Unauthorized,
  DEFAULT_RETRY,
} from "@harvest-ai/sdk";
import {
  BASE_URL,
  newAccount,
  PASSWORD,
  PEER_BASE_URL,
  Proxy,
  SLOW_BASE_URL,
  THROTTLE_BASE_URL,
  Wire,
} from "./helpers.js";

const FAST = { maxRetries: 3, backoffBase: 0.05 };

test("a 429 is retried after its Retry-After", async () => {
  const account = await newAccount(THROTTLE_BASE_URL);
  const wire = new Wire();
  const client = new HarvestClient({ baseUrl: THROTTLE_BASE_URL, fetch: wire.fetch });
  // Five failures are free; the sixth waits out its 429 (1 s) inside the
  // client, and then the next attempt must wait 2 s after it.
  for (let i = 0; i < 6; i++) {
    await assert.rejects(client.login({ email: account.email, password: "wrong-password-1" }), Unauthorized);
  }
  wire.requests.length = 0;
  wire.statuses.length = 0;

  const started = Date.now();
  const session = await client.login({ email: account.email, password: PASSWORD });
  const waited = (Date.now() - started) / 1000;

  assert.equal(session.user.id, account.id);
  assert.deepEqual(wire.statuses, [429, 200]);
  assert.ok(waited >= 1, `waited ${waited} s`);
  assert.equal(wire.keys().size, 1);
});

test("a POST whose answer was lost is retried and runs once", async () => {
  const account = await newAccount();
  const proxy = await new Proxy(new URL(BASE_URL)).start();
  const wire = new Wire();
  try {
    const client = new HarvestClient({
      apiKey: account.client.apiKey,
      baseUrl: proxy.url(),
      retry: FAST,
      fetch: wire.fetch,
    });
    proxy.dropNextResponse();

    const result = await client.generate({ format: "email", input: "Quarterly update" });

    assert.ok(wire.requests.length >= 2);
    assert.equal(wire.keys().size, 1);
    const history = await account.client.listHistory();
    assert.equal(history.pagination.total_items, 1);
    assert.equal(history.generations[0]?.id, result.generation.id);
  } finally {
    await proxy.close();
  }
});

test("a long generation whose answer was given up on is waited for, not rerun", async () => {
  const account = await newAccount(SLOW_BASE_URL);
  const wire = new Wire();
  const client = new HarvestClient({
    apiKey: account.client.apiKey,
    baseUrl: SLOW_BASE_URL,
    timeout: 2,
    retry: { maxRetries: 2, backoffBase: 0.05 },
    fetch: wire.fetch,
  });

  const result = await client.generate({ format: "blog", input: "A long story" });

  assert.ok(wire.statuses.includes(409), String(wire.statuses));
  assert.equal(wire.statuses.at(-1), 200);
  assert.equal(wire.keys().size, 1);
  assert.equal((await account.client.listHistory()).pagination.total_items, 1);
  assert.equal(result.generation.status, "completed");
});

test("a 503 is retried until the policy gives up", async () => {
  const account = await newAccount(PEER_BASE_URL);
  const wire = new Wire();
  const client = new HarvestClient({
    apiKey: account.client.apiKey,
    baseUrl: PEER_BASE_URL,
    retry: { maxRetries: 1, backoffBase: 0.05 },
    fetch: wire.fetch,
  });

  await assert.rejects(
    client.generate({ format: "blog", input: "AI", options: { model: "peer-error" } }),
    ServiceUnavailable,
  );

  assert.deepEqual(wire.statuses, [503, 503]);
});

test("a server that does not answer is retried, then reported", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const address = closed.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const wire = new Wire();
  const client = new HarvestClient({
    baseUrl: `http://127.0.0.1:${port}/v1`,
    retry: { maxRetries: 2, backoffBase: 0.01 },
    fetch: wire.fetch,
  });

  await assert.rejects(client.generate({ format: "blog", input: "Nobody home" }), APIConnectionError);

  assert.equal(wire.requests.length, 3);
  assert.equal(wire.keys().size, 1);
});

test("the backoff grows and stays under its ceiling", () => {
  const policy = { ...DEFAULT_RETRY, maxRetries: 10, backoffBase: 0.5, backoffMax: 4 };

  const waits = Array.from({ length: 10 }, (_, i) => retryWait(policy, i + 1, null) ?? -1);

  assert.ok((waits[0] ?? 0) >= 0.25 && (waits[0] ?? 1) <= 0.5);
  assert.ok(waits.slice(4).every((w) => w >= 2 && w <= 4));
  assert.equal(retryWait(policy, 11, null), null);
  assert.equal(retryWait(policy, 1, 3), 3);
});
