/** `HarvestClient`: every /v1 route, on the platform's `fetch`. */

import { APIError, errorFromEnvelope, HarvestError } from "./errors.js";
import {
  DEFAULT_BASE_URL,
  DEFAULT_RETRY,
  errorOf,
  newIdempotencyKey,
  queryString,
  retryWait,
  send,
  sleep,
  USER_AGENT,
  type RetryPolicy,
} from "./http.js";
import { RealtimeConnection, type WebSocketConstructor } from "./realtime.js";
import { GenerationStream, type StreamState } from "./streaming.js";
import type * as T from "./types.js";

export interface HarvestClientOptions {
  /** An API key (`hv_...`) or an access token; may be changed later. */
  apiKey?: string | null;
  /** The API's base, with its version: `http://127.0.0.1:8000/v1`. */
  baseUrl?: string;
  /** Seconds before one try of a request is abandoned (default 60). */
  timeout?: number;
  retry?: Partial<RetryPolicy>;
  headers?: Record<string, string>;
  /** Defaults to `/graphql` on the base URL's host. */
  graphqlUrl?: string;
  /** Defaults to the base URL with ws(s) (the spec's WebSocket is on `/v1`). */
  websocketUrl?: string;
  /** Another WebSocket class, where the platform has none. */
  WebSocket?: WebSocketConstructor;
  /** Another fetch (a proxy-aware one, a test double of the network...). */
  fetch?: typeof fetch;
}

interface Request {
  query?: object;
  body?: object;
  headers?: Record<string, string>;
  options?: T.CallOptions;
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

/** `json` without its undefined members (the server reads absent as unset). */
function compact<V extends object>(json: V): V {
  return Object.fromEntries(
    Object.entries(json).filter(([, value]) => value !== undefined),
  ) as V;
}

/**
 * A client for the Harvest API. Every method returns a promise and rejects
 * with a `HarvestError` subclass: `APIError` ones carry the envelope's
 * `code`, `message`, `details` and `requestId`.
 */
export class HarvestClient {
  apiKey: string | null;
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  readonly websocketUrl: string;
  private readonly timeout: number;
  private readonly retry: RetryPolicy;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly WebSocketClass: WebSocketConstructor | undefined;

  constructor(options: HarvestClientOptions = {}) {
    this.apiKey = options.apiKey ?? null;
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    const base = new URL(this.baseUrl);
    this.graphqlUrl = options.graphqlUrl ?? `${base.origin}/graphql`;
    this.websocketUrl =
      options.websocketUrl ??
      `${base.protocol === "https:" ? "wss:" : "ws:"}//${base.host}${base.pathname.replace(/\/+$/, "") || "/v1"}`;
    this.timeout = options.timeout ?? 60;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.headers = options.headers ?? {};
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.WebSocketClass = options.WebSocket;
  }

  private headersFor(extra: Record<string, string> = {}, key?: string): Record<string, string> {
    const headers: Record<string, string> = {
      "User-Agent": USER_AGENT,
      Accept: "application/json",
      ...this.headers,
    };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    if (key) headers["Idempotency-Key"] = key;
    return { ...headers, ...extra };
  }

  private async open(method: string, path: string, request: Request = {}): Promise<Response> {
    const key =
      method === "POST" ? (request.options?.idempotencyKey ?? newIdempotencyKey()) : undefined;
    const headers = this.headersFor(request.headers, key);
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    return send({
      method,
      url: url + queryString(request.query),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(compact(request.body)),
      signal: request.options?.signal,
      timeoutSeconds: this.timeout,
      retry: this.retry,
      fetch: this.fetchImpl,
    });
  }

  private async call<R>(method: string, path: string, request: Request = {}): Promise<R> {
    const response = await this.open(method, path, request);
    if (!response.ok) throw await errorOf(response);
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as R;
  }

  private async inside<R>(
    key: string,
    method: string,
    path: string,
    request: Request = {},
  ): Promise<R> {
    const body = await this.call<Record<string, R>>(method, path, request);
    return body[key] as R;
  }

  // Auth

  /** Create an account; returns the user and their first tokens. */
  signup(body: T.SignupRequest, options?: T.CallOptions): Promise<T.AuthSession> {
    return this.call("POST", "/auth/signup", { body, options });
  }

  /** Sign in with email and password; returns the user and tokens. */
  login(body: T.LoginRequest, options?: T.CallOptions): Promise<T.AuthSession> {
    return this.call("POST", "/auth/login", { body, options });
  }

  /** Spend a refresh token for a new access token and its replacement. */
  refresh(refreshToken: string, options?: T.CallOptions): Promise<T.Tokens> {
    return this.call("POST", "/auth/refresh", { body: { refresh_token: refreshToken }, options });
  }

  /** End the session the refresh token belongs to. */
  logout(refreshToken: string, options?: T.CallOptions): Promise<T.Success> {
    return this.call("POST", "/auth/logout", { body: { refresh_token: refreshToken }, options });
  }

  /** Mail a password-reset link (the answer is the same for unknown emails). */
  forgotPassword(email: string, options?: T.CallOptions): Promise<T.Success> {
    return this.call("POST", "/auth/forgot-password", { body: { email }, options });
  }

  /** Set a new password with the `rst_...` token from the mail. */
  resetPassword(
    body: { token: string; password: string },
    options?: T.CallOptions,
  ): Promise<T.Success> {
    return this.call("POST", "/auth/reset-password", { body, options });
  }

  /** Where to send a browser to sign in with `provider` (google, github...). */
  oauthUrl(provider: string): string {
    return `${this.baseUrl}/auth/oauth/${segment(provider)}`;
  }

  // Generation

  /** Generate content and wait for it: the generation and the caller's usage. */
  generate(body: T.GenerateRequest, options?: T.CallOptions): Promise<T.GenerateResult> {
    return this.call("POST", "/generate", { body, options });
  }

  /**
   * Generate content as a stream; `for await` it for chunks with `.text`.
   * Resolves once the server accepted the request (rejects with its error
   * otherwise). A connection lost after the start is resumed where it stopped.
   */
  async generateStream(body: T.GenerateRequest, options?: T.CallOptions): Promise<GenerationStream> {
    const key = options?.idempotencyKey ?? newIdempotencyKey();
    const opener = (state: StreamState) => this.openStream(state, body, { ...options, idempotencyKey: key });
    return new GenerationStream(opener, this.resumePolicy()).start();
  }

  /** Follow a generation's stream from after `lastEventId`. */
  async resumeStream(
    generationId: string,
    lastEventId?: string | number,
    options?: T.CallOptions,
  ): Promise<GenerationStream> {
    const opener = (state: StreamState) => this.openStream(state, null, options);
    const stream = new GenerationStream(opener, this.resumePolicy());
    stream.state.generationId = generationId;
    stream.state.lastEventId = lastEventId === undefined ? null : String(lastEventId);
    return stream.start();
  }

  private resumePolicy() {
    return {
      maxResumes: this.retry.maxRetries,
      wait: (attempt: number) => sleep(retryWait(this.retry, attempt, null) ?? 0),
    };
  }

  private async openStream(
    state: StreamState,
    body: T.GenerateRequest | null,
    options?: T.CallOptions,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    let response: Response;
    if (state.generationId === null && body !== null) {
      response = await this.open("POST", "/generate/stream", { body, headers, options });
    } else {
      if (state.lastEventId !== null) headers["Last-Event-ID"] = state.lastEventId;
      response = await this.open("GET", `/generate/stream/${segment(state.generationId ?? "")}`, {
        headers,
        options,
      });
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  /** Start a batch of generations that run in the background (202). */
  generateBatch(
    body: { batch: T.BatchItem[]; webhook_url?: string },
    options?: T.CallOptions,
  ): Promise<T.BatchAccepted> {
    return this.call("POST", "/generate/batch", { body, options });
  }

  /** A batch and the status of each of its items. */
  getBatch(batchId: string): Promise<T.Batch> {
    return this.call("GET", `/generate/batch/${segment(batchId)}`);
  }

  /** The caller's generations, filtered, searched and paginated. */
  listHistory(query: T.HistoryQuery = {}): Promise<T.History> {
    return this.call("GET", "/generate/history", { query });
  }

  /** One generation with its input, options, metadata and versions. */
  getGeneration(generationId: string): Promise<T.Generation> {
    return this.inside("generation", "GET", `/generate/${segment(generationId)}`);
  }

  /** Delete a generation and its versions. */
  deleteGeneration(generationId: string): Promise<T.Success> {
    return this.call("DELETE", `/generate/${segment(generationId)}`);
  }

  /** A signed link to the generation as a file, valid for 24 hours. */
  exportGeneration(
    generationId: string,
    body: T.ExportRequest = {},
    options?: T.CallOptions,
  ): Promise<T.ExportLink> {
    return this.call("POST", `/generate/${segment(generationId)}/export`, { body, options });
  }

  /** The file behind an `exportGeneration` link. */
  async downloadExport(exportUrl: string): Promise<Uint8Array> {
    const response = await this.open("GET", exportUrl);
    if (!response.ok) throw await errorOf(response);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Approve a team generation that waits for approval (admins, owner). */
  approveGeneration(generationId: string, options?: T.CallOptions): Promise<T.Approval> {
    return this.inside("generation", "POST", `/generate/${segment(generationId)}/approve`, { options });
  }

  /** Reject a team generation that waits for approval (admins, owner). */
  rejectGeneration(generationId: string, options?: T.CallOptions): Promise<T.Approval> {
    return this.inside("generation", "POST", `/generate/${segment(generationId)}/reject`, { options });
  }

  // Users and API keys

  /** The caller's profile, preferences and usage. */
  getMe(): Promise<T.User> {
    return this.inside("user", "GET", "/users/me");
  }

  /** Change the profile; `preferences` are merged into the stored ones. */
  updateMe(body: T.UserUpdate): Promise<{ user: T.User; message: string }> {
    return this.call("PATCH", "/users/me", { body });
  }

  /** Schedule the account's deletion (in 30 days); every session ends now. */
  deleteMe(body: { password?: string; reason?: string; feedback?: string } = {}): Promise<T.AccountDeletion> {
    return this.call("DELETE", "/users/me", { body });
  }

  /** The caller's API keys, masked. */
  listApiKeys(): Promise<T.ApiKey[]> {
    return this.inside("api_keys", "GET", "/users/me/api-keys");
  }

  /** Create an API key; its full secret (`.api_key.key`) is shown once. */
  createApiKey(
    body: { name: string; permissions?: T.Permission[]; expires_at?: string },
    options?: T.CallOptions,
  ): Promise<T.IssuedApiKey> {
    return this.call("POST", "/users/me/api-keys", { body, options });
  }

  /** Delete an API key; it stops working at once. */
  deleteApiKey(keyId: string): Promise<T.Success> {
    return this.call("DELETE", `/users/me/api-keys/${segment(keyId)}`);
  }

  /** Give a key a new secret; the old one works for the grace period. */
  rotateApiKey(
    keyId: string,
    body: { grace_period_seconds?: number } = {},
    options?: T.CallOptions,
  ): Promise<T.IssuedApiKey> {
    return this.call("POST", `/users/me/api-keys/${segment(keyId)}/rotate`, { body, options });
  }

  // Teams

  /** The caller's teams, with their role, size and owner. */
  listTeams(query: T.PageQuery = {}): Promise<T.TeamList> {
    return this.call("GET", "/teams", { query });
  }

  /** Create a team owned by the caller; it gets an invite code. */
  createTeam(body: T.TeamCreate, options?: T.CallOptions): Promise<T.Team> {
    return this.inside("team", "POST", "/teams", { body, options });
  }

  /** Join a team with its invite code, as a viewer. */
  joinTeam(inviteCode: string, options?: T.CallOptions): Promise<T.Team> {
    return this.inside("team", "POST", "/teams/join", { body: { invite_code: inviteCode }, options });
  }

  /** A team's members, this month's usage and settings. */
  getTeam(teamId: string): Promise<T.Team> {
    return this.inside("team", "GET", `/teams/${segment(teamId)}`);
  }

  /** Change a team's name, description or settings (admins, owner). */
  updateTeam(teamId: string, body: T.TeamUpdate): Promise<T.Team> {
    return this.inside("team", "PATCH", `/teams/${segment(teamId)}`, { body });
  }

  /** Delete a team (owner only). */
  deleteTeam(teamId: string): Promise<T.Success> {
    return this.call("DELETE", `/teams/${segment(teamId)}`);
  }

  /** Invite someone by email; the single-use link expires in 7 days. */
  inviteMember(teamId: string, body: T.InviteRequest, options?: T.CallOptions): Promise<T.Invitation> {
    return this.inside("invitation", "POST", `/teams/${segment(teamId)}/invite`, { body, options });
  }

  /** Leave a team (an owner transfers ownership first). */
  leaveTeam(teamId: string, options?: T.CallOptions): Promise<T.Success> {
    return this.call("POST", `/teams/${segment(teamId)}/leave`, { options });
  }

  /** Make another member the owner; the caller becomes an admin. */
  transferOwnership(teamId: string, userId: string, options?: T.CallOptions): Promise<T.Team> {
    return this.inside("team", "POST", `/teams/${segment(teamId)}/transfer-ownership`, {
      body: { user_id: userId },
      options,
    });
  }

  /** Change a member's role (admin, editor or viewer). */
  updateMemberRole(teamId: string, userId: string, role: "admin" | "editor" | "viewer"): Promise<T.TeamMember> {
    return this.inside("member", "PATCH", `/teams/${segment(teamId)}/members/${segment(userId)}`, {
      body: { role },
    });
  }

  /** Remove a member from a team; the owner cannot be removed. */
  removeMember(teamId: string, userId: string): Promise<T.Success> {
    return this.call("DELETE", `/teams/${segment(teamId)}/members/${segment(userId)}`);
  }

  /** Accept an invitation sent to the caller's address. */
  acceptInvitation(token: string, options?: T.CallOptions): Promise<T.Team> {
    return this.inside("team", "POST", `/invitations/${segment(token)}/accept`, { options });
  }

  /** Decline an invitation sent to the caller's address. */
  declineInvitation(token: string, options?: T.CallOptions): Promise<T.Success> {
    return this.call("POST", `/invitations/${segment(token)}/decline`, { options });
  }

  // Templates

  /** Templates the caller can see, filtered, searched and paginated. */
  listTemplates(query: T.TemplateQuery = {}): Promise<T.TemplateList> {
    return this.call("GET", "/templates", { query });
  }

  /** Create a template; `{{name}}` in the prompt marks a variable. */
  createTemplate(body: T.TemplateCreate, options?: T.CallOptions): Promise<T.Template> {
    return this.inside("template", "POST", "/templates", { body, options });
  }

  /** One template, with its prompt and variables. */
  getTemplate(templateId: string): Promise<T.Template> {
    return this.inside("template", "GET", `/templates/${segment(templateId)}`);
  }

  /** Change a template (its author, or an admin of its team). */
  updateTemplate(templateId: string, body: T.TemplateUpdate): Promise<T.Template> {
    return this.inside("template", "PATCH", `/templates/${segment(templateId)}`, { body });
  }

  /** Delete a template (its author, or an admin of its team). */
  deleteTemplate(templateId: string): Promise<T.Success> {
    return this.call("DELETE", `/templates/${segment(templateId)}`);
  }

  /** Rate a template from 1 to 5; rating again replaces your rating. */
  rateTemplate(templateId: string, rating: number, options?: T.CallOptions): Promise<T.Template> {
    return this.inside("template", "POST", `/templates/${segment(templateId)}/rate`, {
      body: { rating },
      options,
    });
  }

  /** Generate from a template with values for its variables. */
  useTemplate(templateId: string, body: T.TemplateUse = {}, options?: T.CallOptions): Promise<T.Generation> {
    return this.inside("generation", "POST", `/templates/${segment(templateId)}/use`, { body, options });
  }

  // Notifications

  /** The caller's notifications, newest first. */
  listNotifications(
    query: { unread_only?: boolean; page?: number; limit?: number; order?: "asc" | "desc" } = {},
  ): Promise<T.NotificationList> {
    return this.call("GET", "/notifications", { query });
  }

  /** Mark every notification read; returns how many changed. */
  markAllNotificationsRead(options?: T.CallOptions): Promise<{ updated: number }> {
    return this.call("POST", "/notifications/read-all", { options });
  }

  /** Mark one notification read. */
  markNotificationRead(notificationId: string, options?: T.CallOptions): Promise<T.Notification> {
    return this.inside("notification", "POST", `/notifications/${segment(notificationId)}/read`, {
      options,
    });
  }

  // Billing

  /** The caller's subscription and the limits of their tier. */
  getSubscription(): Promise<T.Subscription> {
    return this.inside("subscription", "GET", "/billing/subscription");
  }

  /** Subscribe to a paid tier, or change tier; returns the invoice too. */
  subscribe(body: T.SubscribeRequest, options?: T.CallOptions): Promise<T.SubscriptionResult> {
    return this.call("POST", "/billing/subscribe", { body, options });
  }

  /** Cancel the subscription, at the period's end or at once. */
  cancelSubscription(body: T.CancelRequest = {}, options?: T.CallOptions): Promise<T.Subscription> {
    return this.inside("subscription", "POST", "/billing/cancel", { body, options });
  }

  /** The caller's invoices, newest first. */
  listInvoices(query: { page?: number; limit?: number } = {}): Promise<T.InvoiceList> {
    return this.call("GET", "/billing/invoices", { query });
  }

  /** This month's usage against the tier's limits. */
  getUsage(): Promise<T.UsageReport> {
    return this.inside("usage", "GET", "/billing/usage");
  }

  // Webhooks

  /** Your webhook endpoints. */
  listWebhooks(query: { page?: number; limit?: number } = {}): Promise<T.WebhookEndpointList> {
    return this.call("GET", "/webhooks", { query });
  }

  /** Register a webhook endpoint; its signing `secret` is shown only here. */
  createWebhook(body: T.WebhookCreate, options?: T.CallOptions): Promise<T.WebhookEndpoint> {
    return this.call("POST", "/webhooks", { body, options });
  }

  /** One webhook endpoint. */
  getWebhook(endpointId: string): Promise<T.WebhookEndpoint> {
    return this.call("GET", `/webhooks/${segment(endpointId)}`);
  }

  /** Change an endpoint's URL, events, description, or turn it on or off. */
  updateWebhook(endpointId: string, body: T.WebhookUpdate): Promise<T.WebhookEndpoint> {
    return this.call("PATCH", `/webhooks/${segment(endpointId)}`, { body });
  }

  /** Delete an endpoint and its delivery log. */
  deleteWebhook(endpointId: string): Promise<{ id: string; deleted: boolean }> {
    return this.call("DELETE", `/webhooks/${segment(endpointId)}`);
  }

  /** Send a `webhook.test` event to the endpoint (202). */
  testWebhook(endpointId: string, options?: T.CallOptions): Promise<T.WebhookDelivery> {
    return this.call("POST", `/webhooks/${segment(endpointId)}/test`, { options });
  }

  /** Replace the signing secret; the old one still signs during the overlap. */
  rotateWebhookSecret(
    endpointId: string,
    body: { overlap_hours?: number } = {},
    options?: T.CallOptions,
  ): Promise<T.WebhookEndpoint> {
    return this.call("POST", `/webhooks/${segment(endpointId)}/rotate-secret`, { body, options });
  }

  /** The endpoint's deliveries, newest first. */
  listWebhookDeliveries(
    endpointId: string,
    query: { status?: string; page?: number; limit?: number } = {},
  ): Promise<T.WebhookDeliveryList> {
    return this.call("GET", `/webhooks/${segment(endpointId)}/deliveries`, { query });
  }

  /** Send a past delivery's event again (202). */
  redeliverWebhook(endpointId: string, deliveryId: string, options?: T.CallOptions): Promise<T.WebhookDelivery> {
    return this.call(
      "POST",
      `/webhooks/${segment(endpointId)}/deliveries/${segment(deliveryId)}/redeliver`,
      { options },
    );
  }

  // The rest

  /** This server's OpenAPI document for /v1. */
  getOpenapi(): Promise<Record<string, unknown>> {
    return this.call("GET", "/openapi.json");
  }

  /**
   * Run a raw GraphQL operation on `/graphql`; resolves to `data`. The first
   * of `errors` is thrown as the typed error its `extensions.code` names.
   */
  async graphql<D = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    operationName?: string,
  ): Promise<D> {
    const response = await this.open("POST", this.graphqlUrl, {
      body: { query, variables, operationName },
    });
    let body: { data?: D; errors?: { message?: string; extensions?: Record<string, unknown> }[] };
    try {
      body = (await response.clone().json()) as typeof body;
    } catch {
      throw await errorOf(response);
    }
    const first = body.errors?.[0];
    if (first) {
      const extensions = first.extensions ?? {};
      throw errorFromEnvelope(
        {
          code: extensions.code as string | undefined,
          message: first.message,
          details: (extensions.details as Record<string, unknown> | undefined) ?? {},
          request_id:
            (extensions.request_id as string | undefined) ?? response.headers.get("x-request-id"),
          errors: body.errors,
        },
        response.status,
      );
    }
    if (!response.ok) throw await errorOf(response);
    return (body.data ?? {}) as D;
  }

  /** The spec's WebSocket, connected and authenticated. */
  realtime(token?: string): Promise<RealtimeConnection> {
    return RealtimeConnection.connect(this.websocketUrl, token ?? this.apiKey, this.WebSocketClass);
  }
}

export { APIError, HarvestError };
