/**
 * What the tests share: the live servers pytest started (their URLs come in
 * the environment), accounts made through the SDK, and a loopback proxy.
 */

import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { HarvestClient, type AuthSession, type HarvestClientOptions } from "@harvest-ai/sdk";

export const PASSWORD = "SecurePass123!";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/sdk`);
  return value;
}

/** The server on the embedded defaults (offline writer, no delay). */
export const BASE_URL = required("HARVEST_BASE_URL");
/** A server whose models are the OpenAI-compatible peer. */
export const PEER_BASE_URL = required("HARVEST_PEER_BASE_URL");
/** A server whose offline writer takes 30 ms a chunk, for the tests alone. */
export const SLOW_BASE_URL = required("HARVEST_SLOW_BASE_URL");
/** A server of its own for the login-throttle tests (its counts are per address). */
export const THROTTLE_BASE_URL = required("HARVEST_THROTTLE_BASE_URL");
/** Where the default server writes its mail. */
export const OUTBOX = required("HARVEST_OUTBOX_DIR");

export interface Account {
  client: HarvestClient;
  session: AuthSession;
  email: string;
  id: string;
}

export async function newAccount(
  baseUrl = BASE_URL,
  name = "SDK User",
  options: HarvestClientOptions = {},
): Promise<Account> {
  const email = `ts-${randomUUID().slice(0, 10)}@example.com`;
  const client = new HarvestClient({ baseUrl, ...options });
  const session = await client.signup({ email, password: PASSWORD, name });
  client.apiKey = session.tokens.access_token;
  return { client, session, email, id: session.user.id };
}

export async function waitUntil(check: () => Promise<boolean>, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A quoted-printable body as text (the outbox's mails are written so). */
function unquote(text: string): string {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}

/** The text of the first mail to `address` in the outbox. */
export async function mailTo(address: string): Promise<string> {
  let found: string | undefined;
  await waitUntil(async () => {
    const names = existsSync(OUTBOX) ? readdirSync(OUTBOX).sort() : [];
    for (const name of names) {
      const text = readFileSync(join(OUTBOX, name), "utf8");
      if (text.includes(`To: ${address}`)) {
        found = unquote(text);
        return true;
      }
    }
    return false;
  });
  return found ?? "";
}

/** What a client sent and got: its `fetch` option, wrapped. */
export class Wire {
  readonly requests: { method: string; url: string; headers: Headers }[] = [];
  readonly statuses: number[] = [];

  readonly fetch: typeof fetch = async (input, init) => {
    this.requests.push({
      method: init?.method ?? "GET",
      url: String(input),
      headers: new Headers(init?.headers),
    });
    const response = await fetch(input, init);
    this.statuses.push(response.status);
    return response;
  };

  keys(): Set<string | null> {
    return new Set(this.requests.map((request) => request.headers.get("idempotency-key")));
  }
}

/**
 * A loopback TCP proxy; `dropNextResponse(n)` lets the next connection's
 * request through, then cuts it after `n` bytes of the answer.
 */
export class Proxy {
  connections = 0;
  private readonly drops: number[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.handle(client));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return this;
  }

  url(path = "/v1"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  dropNextResponse(afterBytes = 0): void {
    this.drops.push(afterBytes);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(client: Socket): void {
    this.connections += 1;
    let budget = this.drops.shift();
    const upstream = new (client.constructor as typeof Socket)();
    this.sockets.add(client).add(upstream);
    upstream.connect(Number(this.target.port), this.target.hostname);
    client.on("data", (data) => upstream.write(data));
    upstream.on("data", (data: Buffer) => {
      if (budget === undefined) {
        client.write(data);
        return;
      }
      if (data.length > budget) {
        client.write(data.subarray(0, budget));
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(data);
      budget -= data.length;
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  }
}
