/**
 * TypeScript client for the Harvest API.
 *
 *     import { HarvestClient } from "@harvest-ai/sdk";
 *
 *     const client = new HarvestClient({ apiKey: "hv_...", baseUrl: "http://127.0.0.1:8000/v1" });
 *     const generation = await client.generate({ format: "blog", input: "The future of AI..." });
 *     for await (const chunk of await client.generateStream({ format: "blog", input: "..." })) {
 *       process.stdout.write(chunk.text);
 *     }
 */

export { HarvestClient, type HarvestClientOptions } from "./client.js";
export * from "./errors.js";
export { DEFAULT_RETRY, NO_RETRIES, retryWait, type RetryPolicy } from "./http.js";
export { RealtimeConnection, RealtimeStream, type Frame, type WebSocketConstructor } from "./realtime.js";
export { GenerationStream, SSEDecoder } from "./streaming.js";
export type * from "./types.js";
export {
  constructEvent,
  signPayload,
  verifySignature,
  verifyStandardSignature,
} from "./webhooks.js";
