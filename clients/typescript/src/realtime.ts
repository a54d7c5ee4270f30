/**
 * The spec's WebSocket protocol: connect, subscribe, stream, cancel.
 *
 * A connection authenticates with an `auth` message (the token stays out of
 * URLs and logs) and waits for `connected`. Frames that arrive while nobody
 * waits for them are kept, in order, for `events()` or for the generation
 * they belong to.
 */

import { errorFromEnvelope, HarvestError, RealtimeClosed, type ErrorEnvelope } from "./errors.js";
import type { GenerateRequest, StreamChunk } from "./types.js";

export type Frame = Record<string, unknown> & { type?: string };
type Match = (frame: Frame) => boolean;

/** The constructor of a WHATWG WebSocket (the platform's, or the `ws` package's). */
export type WebSocketConstructor = new (url: string) => WebSocket;

interface Waiter {
  match: Match;
  resolve: (frame: Frame) => void;
  reject: (error: unknown) => void;
}

const reply =
  (kind: string): Match =>
  (frame) =>
    frame.type === kind || frame.type === "error";

function errorOfFrame(frame: Frame): Error {
  return errorFromEnvelope((frame.error ?? {}) as ErrorEnvelope);
}

export class RealtimeConnection {
  sessionId: string | null = null;
  serverTime: string | null = null;
  private readonly inbox: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private closed: RealtimeClosed | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event: MessageEvent) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        frame = { type: "unknown", value: event.data };
      }
      const index = this.waiters.findIndex((waiter) => waiter.match(frame));
      if (index === -1) {
        this.inbox.push(frame);
        return;
      }
      const [waiter] = this.waiters.splice(index, 1);
      waiter?.resolve(frame);
    });
    socket.addEventListener("close", (event: CloseEvent) => {
      this.closed = new RealtimeClosed(event.code, event.reason);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.closed);
    });
  }

  /** Open `url`, authenticate with `token` and wait for `connected`. */
  static async connect(
    url: string,
    token: string | null,
    WebSocketClass: WebSocketConstructor | undefined,
  ): Promise<RealtimeConnection> {
    const Socket =
      WebSocketClass ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Socket) {
      throw new HarvestError(
        "No WebSocket in this runtime: pass { WebSocket } to HarvestClient " +
          "(on Node 20, run node with --experimental-websocket)",
      );
    }
    const socket = new Socket(url);
    const connection = new RealtimeConnection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "close",
        (event: CloseEvent) => reject(new RealtimeClosed(event.code, event.reason)),
        { once: true },
      );
    });
    connection.send({ type: "auth", token: token ?? "" });
    const hello = await connection.wait(reply("connected"));
    connection.sessionId = (hello.session_id as string | undefined) ?? null;
    connection.serverTime = (hello.server_time as string | undefined) ?? null;
    return connection;
  }

  /** Send one message as JSON. */
  send(message: Frame): void {
    if (this.closed) throw this.closed;
    this.socket.send(JSON.stringify(message));
  }

  /** Close the connection (1000). */
  close(): void {
    this.socket.close(1000);
  }

  /** The first frame `match` accepts; an `error` frame it accepts is thrown. */
  async wait(match: Match): Promise<Frame> {
    const index = this.inbox.findIndex(match);
    let frame: Frame;
    if (index !== -1) {
      frame = this.inbox.splice(index, 1)[0] as Frame;
    } else {
      if (this.closed) throw this.closed;
      frame = await new Promise<Frame>((resolve, reject) => {
        this.waiters.push({ match, resolve, reject });
      });
    }
    if (frame.type === "error") throw errorOfFrame(frame);
    return frame;
  }

  /** Every frame, as it comes (subscriptions, notifications...). */
  async *events(): AsyncGenerator<Frame> {
    for (;;) {
      const next = this.inbox.shift();
      yield next ??
        (await new Promise<Frame>((resolve, reject) => {
          if (this.closed) reject(this.closed);
          else this.waiters.push({ match: () => true, resolve, reject });
        }));
    }
  }

  /** Round trip; returns the server's time. */
  async ping(): Promise<string | null> {
    this.send({ type: "ping" });
    return ((await this.wait(reply("pong"))).server_time as string | undefined) ?? null;
  }

  /** Subscribe to a channel; returns the `subscription_id`. */
  async subscribe(
    channel: "generations" | "generation" | "notifications" = "generations",
    options: {
      filters?: { user_id?: string; team_id?: string };
      generation_id?: string;
      last_chunk_index?: number;
    } = {},
  ): Promise<string> {
    this.send({ type: "subscribe", channel, ...options });
    return String((await this.wait(reply("subscribed"))).subscription_id);
  }

  /** Stop a subscription. */
  async unsubscribe(subscriptionId: string): Promise<void> {
    this.send({ type: "unsubscribe", subscription_id: subscriptionId });
    await this.wait((frame) => frame.type === "unsubscribed");
  }

  /** Start a generation on this connection and stream its chunks. */
  streamGeneration(data: GenerateRequest, requestId?: string): RealtimeStream {
    const id = requestId ?? `req_${globalThis.crypto.randomUUID().slice(0, 18)}`;
    this.send({ type: "generation_start", request_id: id, data: { ...data } });
    return new RealtimeStream(this, (frame) => frame.request_id === id);
  }

  /** Follow a running (or finished) generation after a chunk index. */
  async followGeneration(generationId: string, lastChunkIndex?: number): Promise<RealtimeStream> {
    await this.subscribe("generation", {
      generation_id: generationId,
      ...(lastChunkIndex === undefined ? {} : { last_chunk_index: lastChunkIndex }),
    });
    return new RealtimeStream(
      this,
      (frame) => frame.generation_id === generationId && !("request_id" in frame),
    );
  }

  /** Ask the server to cancel a generation; its stream then ends. */
  cancel(generationId: string): void {
    this.send({ type: "generation_cancel", generation_id: generationId });
  }
}

/**
 * One generation's chunks over a `RealtimeConnection`. Afterwards
 * `generationId`, `content`, `tokensUsed` and `cancelled` say how it went; a
 * `generation_error` is thrown as the typed error of its code.
 */
export class RealtimeStream implements AsyncIterable<StreamChunk> {
  generationId: string | null = null;
  content: string | null = null;
  tokensUsed: number | null = null;
  cancelled = false;
  done = false;
  readonly frames: Frame[] = [];

  constructor(
    private readonly connection: RealtimeConnection,
    private readonly match: Match,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    while (!this.done) {
      const frame = await this.connection.wait(this.match);
      this.frames.push(frame);
      this.generationId = (frame.generation_id as string | null | undefined) ?? this.generationId;
      switch (frame.type) {
        case "generation_chunk":
          yield {
            text: String(frame.chunk ?? ""),
            index: typeof frame.chunk_index === "number" ? frame.chunk_index : null,
            tokens: typeof frame.tokens === "number" ? frame.tokens : null,
            generationId: this.generationId,
          };
          break;
        case "generation_complete":
          this.done = true;
          this.content = (frame.content as string | undefined) ?? null;
          this.tokensUsed = (frame.tokens_used as number | undefined) ?? null;
          break;
        case "generation_cancelled":
          this.done = true;
          this.cancelled = true;
          break;
        case "generation_error":
          this.done = true;
          throw errorOfFrame(frame);
        default:
          break;
      }
    }
  }
}
