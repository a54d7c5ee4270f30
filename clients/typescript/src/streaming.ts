/**
 * Server-Sent Events of `POST /generate/stream`, read as chunks of text.
 *
 * The server sends `start` (the generation id), `progress` (a chunk, with its
 * index as the event id), then `complete`, `error` or `cancelled`. A stream
 * cut after `start` is resumed with `GET /generate/stream/{id}` and
 * `Last-Event-ID`, so no chunk is lost or repeated.
 */

import { APIConnectionError, errorFromEnvelope, type ErrorEnvelope } from "./errors.js";
import type { StreamChunk, StreamSummary } from "./types.js";

export interface SSEEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Turns the lines of an event stream into events. */
export class SSEDecoder {
  private event = "";
  private data: string[] = [];
  private id: string | null = null;

  feed(line: string): SSEEvent | null {
    if (line === "") {
      if (this.data.length === 0 && this.event === "") return null;
      const event = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
      this.event = "";
      this.data = [];
      this.id = null;
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") this.event = value;
    else if (name === "data") this.data.push(value);
    else if (name === "id" && !value.includes("\0")) this.id = value;
    return null;
  }
}

/** The lines of a response body, as they arrive. */
export async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, end);
        const width = buffer.startsWith("\r\n", end) ? 2 : 1;
        buffer = buffer.slice(end + width);
        yield line;
      }
    }
    if (buffer) yield buffer;
  } finally {
    reader.releaseLock();
  }
}

/** What a stream has seen so far, and what each event means. */
export class StreamState {
  generationId: string | null = null;
  lastEventId: string | null = null;
  summary: StreamSummary | null = null;
  cancelled = false;
  done = false;

  /** The chunk this event carries, if any; throws on `error`. */
  handle(event: SSEEvent): StreamChunk | null {
    let data: Record<string, unknown> = {};
    try {
      data = event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {};
    } catch {
      data = {};
    }
    switch (event.event) {
      case "start":
        this.generationId = (data.generation_id as string | undefined) ?? this.generationId;
        return null;
      case "progress":
        if (event.id !== null) this.lastEventId = event.id;
        return {
          text: String(data.chunk ?? ""),
          index: event.id !== null && /^\d+$/.test(event.id) ? Number(event.id) : null,
          tokens: typeof data.tokens === "number" ? data.tokens : null,
          generationId: this.generationId,
        };
      case "complete":
        this.done = true;
        this.summary = { generation_id: this.generationId, ...data };
        return null;
      case "cancelled":
        this.done = true;
        this.cancelled = true;
        return null;
      case "error": {
        this.done = true;
        const envelope = data as ErrorEnvelope;
        throw errorFromEnvelope({
          ...envelope,
          details: { generation_id: this.generationId, ...(envelope.details ?? {}) },
        });
      }
      default:
        return null;
    }
  }
}

/** Opens (or reopens) the stream; given the state, returns the response. */
export type StreamOpener = (state: StreamState) => Promise<Response>;

/**
 * The chunks of one streamed generation; `for await` it once. Afterwards
 * `generationId`, `summary` and `cancelled` say how it went; `text` is all
 * that was streamed.
 */
export class GenerationStream implements AsyncIterable<StreamChunk> {
  readonly state = new StreamState();
  private texts: string[] = [];
  private first: Response | null = null;

  constructor(
    private readonly open: StreamOpener,
    private readonly resume: { maxResumes: number; wait: (attempt: number) => Promise<void> },
  ) {}

  /** Send the request now, so that a refusal rejects here. */
  async start(): Promise<this> {
    this.first = await this.open(this.state);
    return this;
  }

  get generationId(): string | null {
    return this.state.generationId;
  }

  get summary(): StreamSummary | null {
    return this.state.summary;
  }

  get cancelled(): boolean {
    return this.state.cancelled;
  }

  get text(): string {
    return this.texts.join("");
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    let resumes = 0;
    while (!this.state.done) {
      try {
        const response = this.first ?? (await this.open(this.state));
        this.first = null;
        if (!response.body) throw new TypeError("the stream has no body");
        const decoder = new SSEDecoder();
        for await (const line of lines(response.body)) {
          const event = decoder.feed(line);
          const chunk = event ? this.state.handle(event) : null;
          if (chunk) {
            this.texts.push(chunk.text);
            yield chunk;
          }
          if (this.state.done) {
            await response.body.cancel().catch(() => undefined);
            return;
          }
        }
        throw new TypeError("the stream ended before its end event");
      } catch (error) {
        // A cut while reading is a TypeError from fetch: resume. An opening
        // that failed was already retried by send(), so it is thrown.
        if (!(error instanceof TypeError)) throw error;
        resumes += 1;
        if (resumes > this.resume.maxResumes) {
          throw new APIConnectionError(`stream lost: ${String(error)}`, { cause: error });
        }
        await this.resume.wait(resumes);
      }
    }
  }
}
