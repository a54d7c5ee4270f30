/**
 * Request and response shapes, named after the spec's objects. Keys are the
 * wire's (snake_case), so a body reads as in the spec.
 */

export type Format =
  | "blog"
  | "email"
  | "summary"
  | "social_post"
  | "product_description"
  | "ad_copy";
export type ExportFormat = "pdf" | "markdown" | "html" | "txt" | "docx";
export type Permission = "read" | "write";
export type Timestamp = string;
export type JsonObject = Record<string, unknown>;

/** How to write: every key is optional. */
export interface GenerateOptions {
  model?: string;
  tone?: string;
  length?: string;
  language?: string;
  temperature?: number;
  max_tokens?: number;
  audience?: string;
  style?: string;
  keywords?: string[];
}

/** The body of `generate` and `generateStream`. */
export interface GenerateRequest {
  format: Format | string;
  input: string;
  options?: GenerateOptions;
  metadata?: JsonObject;
}

export interface BatchItem extends GenerateRequest {
  id?: string;
}

export interface Success {
  success: boolean;
  message: string;
}

export interface Pagination {
  page: number;
  limit: number;
  total_items: number;
  total_pages: number;
  has_next?: boolean;
  has_previous?: boolean;
}

export interface PageQuery {
  page?: number;
  limit?: number;
  sort?: string;
  order?: "asc" | "desc";
}

export interface User {
  id: string;
  email: string;
  name: string;
  avatar?: string | null;
  bio?: string;
  subscription_tier: string;
  subscription_status?: string | null;
  preferences?: JsonObject | null;
  usage?: JsonObject | null;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  last_login?: Timestamp | null;
}

/**
 * Credentials are null in the replay of a POST whose first answer was lost:
 * the server keeps answers for `Idempotency-Key`, not secrets.
 */
export interface Tokens {
  access_token: string | null;
  refresh_token: string | null;
  expires_in: number;
}

/** A signed-in user and their tokens (signup, login). */
export interface AuthSession {
  user: User;
  tokens: Tokens;
}

export interface SignupRequest {
  email: string;
  password: string;
  name: string;
  referral_code?: string;
  marketing_consent?: boolean;
}

export interface LoginRequest {
  email: string;
  password: string;
  remember_me?: boolean;
}

export interface Usage {
  tokens_used: number;
  tokens_remaining: number;
  generations_today: number;
  generations_limit: number;
}

export interface GenerationVersion {
  version: number;
  source?: string;
  created_at: Timestamp;
  content: string;
}

/** A generation: the full record, or the fields a route returns of it. */
export interface Generation {
  id: string;
  format?: string;
  status?: string;
  title?: string;
  content?: string;
  word_count?: number;
  tokens_used?: number;
  model?: string;
  input?: string;
  options?: JsonObject;
  metadata?: JsonObject;
  error?: JsonObject | null;
  team_id?: string | null;
  template_id?: string | null;
  versions?: GenerationVersion[];
  created_at?: Timestamp;
  completed_at?: Timestamp | null;
  processing_time_ms?: number;
}

/** `generate`: the finished generation and the caller's usage. */
export interface GenerateResult {
  generation: Generation;
  usage: Usage;
}

export interface GenerationSummary {
  id: string;
  format: string;
  status?: string;
  title: string;
  preview: string;
  word_count: number;
  model: string;
  created_at: Timestamp;
}

export interface HistoryQuery extends PageQuery {
  format?: string;
  model?: string;
  status?: string;
  from_date?: string;
  to_date?: string;
  search?: string;
  team_id?: string;
}

export interface History {
  generations: GenerationSummary[];
  pagination: Pagination;
}

export interface ExportRequest {
  format?: ExportFormat;
  options?: { include_metadata?: boolean; watermark?: boolean };
}

export interface ExportLink {
  export_url: string;
  expires_at: Timestamp;
}

export interface Approval {
  id: string;
  team_id: string | null;
  author_id: string;
  approval_status: string | null;
}

export interface BatchAccepted {
  batch_id: string;
  status: string;
  items: number;
  estimated_time_seconds: number;
  webhook_url?: string | null;
  webhook_secret?: string | null;
}

export interface BatchItemStatus {
  id: string;
  position: number;
  format: string;
  status: string;
  generation_id: string | null;
  error?: JsonObject | null;
  updated_at: Timestamp;
}

export interface Batch {
  batch_id: string;
  status: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  webhook_url?: string | null;
  created_at: Timestamp;
  completed_at?: Timestamp | null;
  items: BatchItemStatus[];
}

export interface UserUpdate {
  name?: string;
  bio?: string;
  avatar?: string;
  preferences?: JsonObject;
}

export interface AccountDeletion {
  success: boolean;
  message: string;
  deletion_date: Timestamp;
}

/** An API key; `key` is masked except right after creation or rotation (and null in that POST's replay, as in `Tokens`). */
export interface ApiKey {
  id: string;
  name: string;
  key: string | null;
  last_4?: string;
  permissions: Permission[];
  last_used?: Timestamp | null;
  expires_at?: Timestamp | null;
  previous_valid_until?: Timestamp | null;
  created_at?: Timestamp;
}

export interface IssuedApiKey {
  api_key: ApiKey;
  warning: string;
}

export interface TeamSettings {
  default_model?: string | null;
  shared_templates?: boolean;
  approval_required?: boolean;
}

export interface TeamListing {
  id: string;
  name: string;
  description: string;
  role: string;
  members_count: number;
  owner: { id: string; name: string; avatar?: string | null };
  created_at: Timestamp;
}

export interface TeamList {
  teams: TeamListing[];
  pagination: Pagination;
}

export interface TeamMember {
  id: string;
  name: string;
  email: string;
  role: string;
  joined_at: Timestamp;
}

/** A team; which fields are set depends on the route. */
export interface Team {
  id: string;
  name: string;
  description: string;
  invite_code?: string | null;
  owner_id?: string;
  role?: string;
  members?: TeamMember[];
  usage?: { total_generations: number; tokens_used: number; active_members: number };
  settings?: TeamSettings;
  created_at?: Timestamp;
}

export interface TeamCreate {
  name: string;
  description?: string;
  settings?: TeamSettings;
}

export interface TeamUpdate {
  name?: string;
  description?: string;
  settings?: TeamSettings;
  regenerate_invite_code?: boolean;
}

export interface InviteRequest {
  email: string;
  role?: "admin" | "editor" | "viewer";
  message?: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: string;
  expires_at: Timestamp;
  invite_link?: string | null;
}

export interface TemplateVariable {
  name: string;
  type?: string;
  description?: string;
  required?: boolean;
  options?: string[] | null;
  default?: unknown;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  category: string;
  is_public: boolean;
  usage_count: number;
  rating?: number | null;
  author?: { id: string; name: string };
  format?: string;
  prompt?: string;
  variables?: TemplateVariable[];
  team_id?: string | null;
  rating_count?: number;
  my_rating?: number | null;
  created_at?: Timestamp;
  updated_at?: Timestamp;
}

export interface TemplateCreate {
  name: string;
  prompt: string;
  description?: string;
  category?: string;
  format?: string;
  variables?: TemplateVariable[];
  is_public?: boolean;
  team_id?: string;
}

export type TemplateUpdate = Partial<Omit<TemplateCreate, "team_id">>;

export interface TemplateQuery extends PageQuery {
  category?: string;
  is_public?: boolean;
  team_id?: string;
  search?: string;
  mine?: boolean;
}

export interface TemplateList {
  templates: Template[];
  pagination?: Pagination;
}

export interface TemplateUse {
  variables?: JsonObject;
  options?: GenerateOptions;
  metadata?: JsonObject;
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  message: string;
  action_url?: string | null;
  data?: JsonObject;
  read: boolean;
  read_at?: Timestamp | null;
  created_at: Timestamp;
}

export interface NotificationList {
  notifications: Notification[];
  unread_count: number;
  pagination: Pagination;
}

export interface Subscription {
  id?: string | null;
  tier?: string;
  status: string;
  current_period_start?: Timestamp;
  current_period_end?: Timestamp;
  cancel_at_period_end?: boolean;
  cancel_at?: Timestamp | null;
  payment_method?: JsonObject | null;
  limits?: Record<string, number>;
}

export interface SubscribeRequest {
  tier: string;
  payment_method_id?: string;
  coupon_code?: string;
}

export interface SubscriptionResult {
  subscription: Subscription;
  invoice?: JsonObject | null;
}

export interface CancelRequest {
  reason?: string;
  feedback?: string;
  cancel_immediately?: boolean;
}

export interface Invoice {
  id: string;
  number: string;
  amount: number;
  currency: string;
  status: string;
  pdf_url?: string | null;
  created_at: Timestamp;
}

export interface InvoiceList {
  invoices: Invoice[];
  pagination?: Pagination;
}

export interface UsageReport {
  period: { start: Timestamp; end: Timestamp };
  tokens: { used: number; limit: number; percentage: number };
  generations: { count: number; limit: number; by_format: Record<string, number> };
  api_calls: { count: number; limit: number };
  daily_breakdown: { date: string; tokens: number; generations: number }[];
}

/** A webhook endpoint; `secret` only when created or rotated. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  consecutive_failures: number;
  disabled_at?: Timestamp | null;
  previous_secret_expires_at?: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  secret?: string | null;
}

export interface WebhookCreate {
  url: string;
  events?: string[];
  description?: string;
}

export interface WebhookUpdate {
  url?: string;
  events?: string[];
  description?: string;
  enabled?: boolean;
}

export interface WebhookEndpointList {
  webhooks: WebhookEndpoint[];
  pagination: Pagination;
}

export interface WebhookDelivery {
  id: string;
  endpoint_id: string | null;
  event_id: string;
  event_type: string | null;
  url: string;
  status: string;
  attempts: number;
  response_status?: number | null;
  last_error?: string | null;
  next_attempt_at?: Timestamp | null;
  delivered_at?: Timestamp | null;
  created_at: Timestamp;
}

export interface WebhookDeliveryList {
  deliveries: WebhookDelivery[];
  pagination: Pagination;
}

/** The body of a webhook delivery. */
export interface WebhookEvent {
  id: string;
  type: string;
  created_at: Timestamp;
  data: JsonObject;
}

/** One piece of a streamed generation; `text` is the new text. */
export interface StreamChunk {
  text: string;
  index: number | null;
  tokens: number | null;
  generationId: string | null;
}

/** How a stream ended (`complete`). */
export interface StreamSummary {
  generation_id?: string | null;
  total_tokens?: number;
  word_count?: number;
  processing_time_ms?: number;
}

/** Options every method takes last. */
export interface CallOptions {
  /** Sent as `Idempotency-Key` on every try of a POST; one is made if omitted. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}
