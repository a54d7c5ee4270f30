/** Streaming: Server-Sent Events, resumed when cut, and the spec's WebSocket. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Forbidden, HarvestClient, RealtimeClosed, type StreamChunk } from "@harvest-ai/sdk";
import { BASE_URL, newAccount, Proxy, SLOW_BASE_URL } from "./helpers.js";

const ARTICLE = "Solar panels and wind turbines now supply a growing share of power. ".repeat(6);

async function drain(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const indexes = (chunks: StreamChunk[]) => chunks.map((c) => c.index);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("a stream yields chunks whose text is the stored content", async () => {
  const { client } = await newAccount();

  const stream = await client.generateStream({ format: "blog", input: "The future of AI..." });
  const chunks = await drain(stream);

  assert.ok(chunks.length > 3);
  assert.deepEqual(indexes(chunks), range(0, chunks.length));
  const stored = await client.getGeneration(stream.generationId ?? "");
  assert.equal(chunks.map((c) => c.text).join(""), stored.content);
  assert.equal(stream.text, stored.content);
  assert.equal(stream.summary?.word_count, stored.word_count);
});

test("a stream cut halfway resumes without a gap or a repeat", async () => {
  const account = await newAccount(SLOW_BASE_URL);
  const proxy = await new Proxy(new URL(SLOW_BASE_URL)).start();
  try {
    const client = new HarvestClient({ apiKey: account.client.apiKey, baseUrl: proxy.url() });
    proxy.dropNextResponse(600);

    const stream = await client.generateStream({ format: "summary", input: ARTICLE });
    const chunks = await drain(stream);

    const stored = await account.client.getGeneration(stream.generationId ?? "");
    assert.ok(proxy.connections >= 2);
    assert.deepEqual(indexes(chunks), range(0, chunks.length));
    assert.equal(chunks.map((c) => c.text).join(""), stored.content);
  } finally {
    await proxy.close();
  }
});

test("a finished stream can be read again after a chunk", async () => {
  const { client } = await newAccount();
  const first = await client.generateStream({ format: "summary", input: ARTICLE });
  const chunks = await drain(first);

  const again = await drain(await client.resumeStream(first.generationId ?? "", 1));

  assert.deepEqual(indexes(again), range(2, chunks.length));
});

test("the WebSocket connects, answers pings and streams a generation", async () => {
  const { client } = await newAccount();
  const realtime = await client.realtime();
  try {
    const serverTime = await realtime.ping();
    const stream = realtime.streamGeneration({ format: "email", input: "Team lunch" });
    const text = (await drain(stream)).map((c) => c.text).join("");

    assert.ok(realtime.sessionId && serverTime);
    assert.equal(text, stream.content);
    assert.equal((await client.getGeneration(stream.generationId ?? "")).content, text);
  } finally {
    realtime.close();
  }
});

test("a WebSocket subscription receives the events of my generations", async () => {
  const account = await newAccount();
  const realtime = await account.client.realtime();
  try {
    const subscription = await realtime.subscribe("generations", { filters: { user_id: account.id } });
    const made = await account.client.generate({ format: "email", input: "Reminder" });
    const seen = [];
    for await (const frame of realtime.events()) {
      seen.push(frame);
      if (frame.type === "generation_complete") break;
    }
    await realtime.unsubscribe(subscription);

    assert.match(subscription, /^sub_/);
    assert.deepEqual([...new Set(seen.map((f) => f.generation_id))], [made.generation.id]);
  } finally {
    realtime.close();
  }
});

test("a generation cancelled over the WebSocket stops streaming", async () => {
  const { client } = await newAccount(SLOW_BASE_URL);
  const realtime = await client.realtime();
  try {
    const stream = realtime.streamGeneration({ format: "blog", input: "A long story" });
    let cancelled = false;
    for await (const chunk of stream) {
      if (!cancelled) realtime.cancel(chunk.generationId ?? "");
      cancelled = true;
    }

    assert.ok(stream.cancelled);
    assert.equal((await client.getGeneration(stream.generationId ?? "")).status, "cancelled");
  } finally {
    realtime.close();
  }
});

test("a WebSocket refusal is thrown and the connection stays open", async () => {
  const me = await newAccount();
  const other = await newAccount();
  const realtime = await me.client.realtime();
  try {
    await assert.rejects(realtime.subscribe("generations", { filters: { user_id: other.id } }), Forbidden);
    assert.ok(await realtime.ping());
  } finally {
    realtime.close();
  }
});

test("a WebSocket with a bad token is closed with 4000", async () => {
  const client = new HarvestClient({ apiKey: "hv_not-a-key", baseUrl: BASE_URL });

  await assert.rejects(
    client.realtime(),
    (error: unknown) => error instanceof RealtimeClosed && error.closeCode === 4000,
  );
});

test("a generation is followed over the WebSocket after a chunk", async () => {
  const { client } = await newAccount();
  const realtime = await client.realtime();
  try {
    const started = realtime.streamGeneration({ format: "summary", input: ARTICLE });
    const chunks = await drain(started);
    const followed = await realtime.followGeneration(started.generationId ?? "", 0);
    const rest = await drain(followed);

    assert.deepEqual(indexes(rest), range(1, chunks.length));
    assert.equal(followed.content, started.content);
  } finally {
    realtime.close();
  }
});
