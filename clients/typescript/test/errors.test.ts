/** Every error code a live server answers arrives as its own class. */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  APIError,
  Conflict,
  ContentFiltered,
  Forbidden,
  HarvestClient,
  NO_RETRIES,
  NotFound,
  QuotaExceeded,
  ServerError,
  ServiceUnavailable,
  Timeout,
  Unauthorized,
  UnsupportedModel,
  ValidationFailed,
} from "@harvest-ai/sdk";
import { BASE_URL, newAccount, PEER_BASE_URL } from "./helpers.js";

async function refusal<E extends APIError>(
  work: Promise<unknown>,
  Class: new (...args: never[]) => E,
  code: string,
  status: number,
): Promise<E> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof Class, `${String(error)} is not a ${Class.name}`);
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.ok(error.message);
    assert.match(error.requestId ?? "", /^req_/);
    return error;
  }
  assert.fail(`no ${code}`);
}

test("a wrong key is UNAUTHORIZED", async () => {
  const client = new HarvestClient({ apiKey: "hv_not-a-key", baseUrl: BASE_URL });

  await refusal(client.getMe(), Unauthorized, "UNAUTHORIZED", 401);
});

test("a read-only key is FORBIDDEN to generate", async () => {
  const { client } = await newAccount();
  const { api_key } = await client.createApiKey({ name: "reader", permissions: ["read"] });
  const reader = new HarvestClient({ apiKey: api_key.key, baseUrl: BASE_URL });

  await refusal(reader.generate({ format: "blog", input: "No" }), Forbidden, "FORBIDDEN", 403);
});

test("an unknown generation is NOT_FOUND", async () => {
  const { client } = await newAccount();

  await refusal(client.getGeneration("gen_doesnotexist"), NotFound, "NOT_FOUND", 404);
});

test("an unknown format is a VALIDATION_ERROR naming the field", async () => {
  const { client } = await newAccount();

  const error = await refusal(
    client.generate({ format: "poem", input: "Roses" }),
    ValidationFailed,
    "VALIDATION_ERROR",
    400,
  );

  assert.equal(error.details.field, "format");
});

test("a batch larger than the plan is QUOTA_EXCEEDED", async () => {
  const { client } = await newAccount();
  const batch = Array.from({ length: 11 }, (_, i) => ({ id: String(i), format: "email", input: "Hi" }));

  await refusal(client.generateBatch({ batch }), QuotaExceeded, "QUOTA_EXCEEDED", 402);
});

test("inviting a member again is a CONFLICT", async () => {
  const owner = await newAccount();
  const team = await owner.client.createTeam({ name: "Conflicted" });

  await refusal(owner.client.inviteMember(team.id, { email: owner.email }), Conflict, "CONFLICT", 409);
});

test("a model the server lacks is UNSUPPORTED_MODEL", async () => {
  const { client } = await newAccount();

  const error = await refusal(
    client.generate({ format: "blog", input: "AI", options: { model: "gpt-4" } }),
    UnsupportedModel,
    "UNSUPPORTED_MODEL",
    400,
  );

  assert.deepEqual(error.details.supported_models, ["offline-writer"]);
});

test("a refusal by the model is CONTENT_FILTERED, also inside a stream", async () => {
  const { client } = await newAccount(PEER_BASE_URL);
  const body = { format: "blog", input: "AI", options: { model: "peer-filter" } };

  await refusal(client.generate(body), ContentFiltered, "CONTENT_FILTERED", 400);
  const stream = await client.generateStream(body);
  await assert.rejects(
    (async () => {
      for await (const _ of stream) {
        // drained
      }
    })(),
    (error: unknown) => error instanceof ContentFiltered && error.details.generation_id === stream.generationId,
  );
});

test("a model that does not answer in time is a TIMEOUT", async () => {
  const { client } = await newAccount(PEER_BASE_URL);

  await refusal(
    client.generate({ format: "blog", input: "AI", options: { model: "peer-slow" } }),
    Timeout,
    "TIMEOUT",
    504,
  );
});

test("a failing model provider is SERVICE_UNAVAILABLE", async () => {
  const { client } = await newAccount(PEER_BASE_URL, "SDK User", { retry: NO_RETRIES });

  await refusal(
    client.generate({ format: "blog", input: "AI", options: { model: "peer-error" } }),
    ServiceUnavailable,
    "SERVICE_UNAVAILABLE",
    503,
  );
});

test("a malformed model answer is a SERVER_ERROR", async () => {
  const { client } = await newAccount(PEER_BASE_URL);

  await refusal(
    client.generate({ format: "blog", input: "AI", options: { model: "peer-empty" } }),
    ServerError,
    "SERVER_ERROR",
    500,
  );
});

test("GraphQL errors are thrown with their extensions", async () => {
  const { client } = await newAccount();

  const data = await client.graphql<{ me: { id: string } }>("query Me { me { id } }", undefined, "Me");

  assert.ok(data.me.id);
  await assert.rejects(
    client.graphql("query G($id: ID!) { generation(id: $id) { id } }", { id: "gen_nope" }),
    (error: unknown) => error instanceof NotFound && error.requestId !== null,
  );
});
