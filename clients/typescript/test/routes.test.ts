/** The SDK calls every /v1 route of a live server and reads its answer. */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { constructEvent, HarvestClient, NotFound, Unauthorized } from "@harvest-ai/sdk";
import { BASE_URL, mailTo, newAccount, PASSWORD, waitUntil } from "./helpers.js";

/** Each route of the server's OpenAPI document, and the method that calls it. */
const METHODS: Record<string, keyof HarvestClient | null> = {
  "GET /openapi.json": "getOpenapi",
  "GET /docs": null,
  "POST /auth/signup": "signup",
  "POST /auth/login": "login",
  "POST /auth/refresh": "refresh",
  "POST /auth/logout": "logout",
  "POST /auth/forgot-password": "forgotPassword",
  "POST /auth/reset-password": "resetPassword",
  "GET /auth/oauth/{provider}": "oauthUrl",
  "GET /auth/oauth/{provider}/callback": null,
  "POST /generate": "generate",
  "POST /generate/stream": "generateStream",
  "GET /generate/stream/{generation_id}": "resumeStream",
  "POST /generate/batch": "generateBatch",
  "GET /generate/batch/{id}": "getBatch",
  "GET /generate/history": "listHistory",
  "GET /generate/{id}": "getGeneration",
  "DELETE /generate/{id}": "deleteGeneration",
  "POST /generate/{id}/export": "exportGeneration",
  "GET /exports/{filename}": "downloadExport",
  "POST /generate/{id}/approve": "approveGeneration",
  "POST /generate/{id}/reject": "rejectGeneration",
  "GET /users/me": "getMe",
  "PATCH /users/me": "updateMe",
  "DELETE /users/me": "deleteMe",
  "GET /users/me/api-keys": "listApiKeys",
  "POST /users/me/api-keys": "createApiKey",
  "DELETE /users/me/api-keys/{id}": "deleteApiKey",
  "POST /users/me/api-keys/{id}/rotate": "rotateApiKey",
  "GET /teams": "listTeams",
  "POST /teams": "createTeam",
  "POST /teams/join": "joinTeam",
  "GET /teams/{id}": "getTeam",
  "PATCH /teams/{id}": "updateTeam",
  "DELETE /teams/{id}": "deleteTeam",
  "POST /teams/{id}/invite": "inviteMember",
  "POST /teams/{id}/leave": "leaveTeam",
  "POST /teams/{id}/transfer-ownership": "transferOwnership",
  "PATCH /teams/{id}/members/{userId}": "updateMemberRole",
  "DELETE /teams/{id}/members/{userId}": "removeMember",
  "POST /invitations/{token}/accept": "acceptInvitation",
  "POST /invitations/{token}/decline": "declineInvitation",
  "GET /templates": "listTemplates",
  "POST /templates": "createTemplate",
  "GET /templates/{id}": "getTemplate",
  "PATCH /templates/{id}": "updateTemplate",
  "DELETE /templates/{id}": "deleteTemplate",
  "POST /templates/{id}/rate": "rateTemplate",
  "POST /templates/{id}/use": "useTemplate",
  "GET /notifications": "listNotifications",
  "POST /notifications/read-all": "markAllNotificationsRead",
  "POST /notifications/{id}/read": "markNotificationRead",
  "GET /billing/subscription": "getSubscription",
  "POST /billing/subscribe": "subscribe",
  "POST /billing/cancel": "cancelSubscription",
  "GET /billing/invoices": "listInvoices",
  "GET /billing/usage": "getUsage",
  "POST /billing/webhook": null,
  "GET /webhooks": "listWebhooks",
  "POST /webhooks": "createWebhook",
  "GET /webhooks/{id}": "getWebhook",
  "PATCH /webhooks/{id}": "updateWebhook",
  "DELETE /webhooks/{id}": "deleteWebhook",
  "POST /webhooks/{id}/test": "testWebhook",
  "POST /webhooks/{id}/rotate-secret": "rotateWebhookSecret",
  "GET /webhooks/{id}/deliveries": "listWebhookDeliveries",
  "POST /webhooks/{id}/deliveries/{deliveryId}/redeliver": "redeliverWebhook",
};

function tokenOf(link: string | null | undefined): string {
  assert.ok(link);
  return link.split("/").at(-1) ?? "";
}

test("every route of the server's OpenAPI document has a method", async () => {
  const document = (await new HarvestClient({ baseUrl: BASE_URL }).getOpenapi()) as {
    paths: Record<string, Record<string, unknown>>;
  };

  const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );

  assert.deepEqual(routes.sort(), Object.keys(METHODS).sort());
  for (const name of Object.values(METHODS)) {
    if (name !== null) assert.equal(typeof HarvestClient.prototype[name], "function", name);
  }
});

test("auth routes sign up, log in, refresh, reset and log out", async () => {
  const account = await newAccount(BASE_URL, "Ada");
  const anonymous = new HarvestClient({ baseUrl: BASE_URL });

  const session = await anonymous.login({ email: account.email, password: PASSWORD, remember_me: true });
  const refreshed = await anonymous.refresh(session.tokens.refresh_token ?? "");
  const mailed = await anonymous.forgotPassword(account.email);
  const token = /rst_[A-Za-z0-9_-]+/.exec(await mailTo(account.email))?.[0] ?? "";
  const reset = await anonymous.resetPassword({ token, password: "NewSecurePass456!" });
  const again = await anonymous.login({ email: account.email, password: "NewSecurePass456!" });
  const loggedOut = await anonymous.logout(again.tokens.refresh_token ?? "");

  assert.equal(account.session.user.name, "Ada");
  assert.equal(session.user.id, account.id);
  assert.notEqual(refreshed.refresh_token, session.tokens.refresh_token);
  assert.ok(mailed.success && reset.success && loggedOut.success);
  await assert.rejects(anonymous.refresh(again.tokens.refresh_token ?? ""), Unauthorized);
  assert.equal(anonymous.oauthUrl("github"), `${BASE_URL}/auth/oauth/github`);
});

test("generation routes generate, list, read, export, download and delete", async () => {
  const { client } = await newAccount();

  const result = await client.generate({
    format: "blog",
    input: "The future of renewable energy",
    options: { tone: "professional", keywords: ["solar", "wind"] },
    metadata: { tags: ["energy"] },
  });
  const history = await client.listHistory({ format: "blog", limit: 5, search: "renewable" });
  const generation = await client.getGeneration(result.generation.id);
  const link = await client.exportGeneration(result.generation.id, { format: "txt" });
  const file = new TextDecoder().decode(await client.downloadExport(link.export_url));
  const deleted = await client.deleteGeneration(result.generation.id);

  assert.equal(result.generation.status, "completed");
  assert.ok(result.usage.generations_limit > 0);
  assert.deepEqual(history.generations.map((g) => g.id), [result.generation.id]);
  assert.equal(generation.content, result.generation.content);
  assert.equal(generation.versions?.[0]?.version, 1);
  assert.ok(file.includes("Renewable"));
  assert.ok(deleted.success);
  await assert.rejects(client.getGeneration(result.generation.id), NotFound);
});

test("batch routes start a batch and read its items", async () => {
  const { client } = await newAccount();
  await client.subscribe({ tier: "pro", payment_method_id: "pm_card_visa" });

  const accepted = await client.generateBatch({
    batch: [
      { id: "one", format: "email", input: "Meeting reminder" },
      { id: "two", format: "summary", input: "A long article. ".repeat(20) },
    ],
  });
  await waitUntil(async () => (await client.getBatch(accepted.batch_id)).status !== "processing");
  const batch = await client.getBatch(accepted.batch_id);

  assert.equal(accepted.items, 2);
  assert.equal(batch.status, "completed");
  assert.deepEqual(batch.items.map((item) => item.id), ["one", "two"]);
});

test("user routes read, update, manage keys and schedule deletion", async () => {
  const account = await newAccount();
  const { client } = account;

  const me = await client.getMe();
  const updated = await client.updateMe({ bio: "Writes things", preferences: { theme: "dark" } });
  const issued = await client.createApiKey({ name: "CI", permissions: ["read"] });
  const keys = await client.listApiKeys();
  const rotated = await client.rotateApiKey(issued.api_key.id, { grace_period_seconds: 60 });
  const seenByKey = await new HarvestClient({ apiKey: rotated.api_key.key, baseUrl: BASE_URL }).getMe();
  const removed = await client.deleteApiKey(issued.api_key.id);
  const scheduled = await client.deleteMe({ password: PASSWORD, reason: "testing" });

  assert.equal(me.email, account.email);
  assert.equal(updated.user.bio, "Writes things");
  assert.ok(issued.api_key.key?.startsWith("hv_"));
  assert.deepEqual(keys.map((k) => k.id), [issued.api_key.id]);
  assert.notEqual(rotated.api_key.key, issued.api_key.key);
  assert.equal(seenByKey.id, account.id);
  assert.ok(removed.success && scheduled.success);
  await assert.rejects(client.getMe(), Unauthorized);
});

test("team routes from creation to deletion, with approvals", async () => {
  const owner = await newAccount(BASE_URL, "Owner");
  const invited = await newAccount(BASE_URL, "Invited");
  const joiner = await newAccount(BASE_URL, "Joiner");
  const decliner = await newAccount(BASE_URL, "Decliner");

  const team = await owner.client.createTeam({ name: "Content Team", settings: { approval_required: true } });
  const invitation = await owner.client.inviteMember(team.id, { email: invited.email, role: "editor" });
  const other = await owner.client.inviteMember(team.id, { email: decliner.email });
  const accepted = await invited.client.acceptInvitation(tokenOf(invitation.invite_link));
  const declined = await decliner.client.declineInvitation(tokenOf(other.invite_link));
  const joined = await joiner.client.joinTeam(team.invite_code ?? "");
  const first = await invited.client.generate({ format: "email", input: "Launch", metadata: { team_id: team.id } });
  const second = await invited.client.generate({ format: "email", input: "Delay", metadata: { team_id: team.id } });
  const approved = await owner.client.approveGeneration(first.generation.id);
  const rejected = await owner.client.rejectGeneration(second.generation.id);
  const promoted = await owner.client.updateMemberRole(team.id, joiner.id, "admin");
  const listed = await owner.client.listTeams({ limit: 10 });
  const renamed = await owner.client.updateTeam(team.id, { name: "Content Crew" });
  const transferred = await owner.client.transferOwnership(team.id, invited.id);
  const left = await owner.client.leaveTeam(team.id);
  const removed = await invited.client.removeMember(team.id, joiner.id);
  const details = await invited.client.getTeam(team.id);
  const deleted = await invited.client.deleteTeam(team.id);

  assert.equal(accepted.role, "editor");
  assert.ok(declined.success);
  assert.equal(joined.role, "viewer");
  assert.equal(approved.approval_status, "approved");
  assert.equal(rejected.approval_status, "rejected");
  assert.equal(promoted.role, "admin");
  assert.deepEqual(listed.teams.map((t) => t.id), [team.id]);
  assert.equal(renamed.name, "Content Crew");
  assert.equal(transferred.owner_id, invited.id);
  assert.ok(left.success && removed.success && deleted.success);
  assert.deepEqual(details.members?.map((m) => m.id), [invited.id]);
});

test("template and notification routes", async () => {
  const author = await newAccount(BASE_URL, "Author");
  const rater = await newAccount(BASE_URL, "Rater");

  const template = await author.client.createTemplate({
    name: "Email Campaign",
    category: "marketing",
    format: "email",
    prompt: "Create an email campaign about {{product}} for {{audience}}",
    variables: [
      { name: "product", type: "text", required: true },
      { name: "audience", type: "select", options: ["B2B", "B2C"] },
    ],
    is_public: true,
  });
  const found = await rater.client.listTemplates({ is_public: true, search: "Campaign" });
  const fetched = await rater.client.getTemplate(template.id);
  const rated = await rater.client.rateTemplate(template.id, 5);
  const used = await rater.client.useTemplate(template.id, { variables: { product: "Harvest", audience: "B2B" } });
  const changed = await author.client.updateTemplate(template.id, { description: "Better" });
  const deleted = await author.client.deleteTemplate(template.id);
  const team = await author.client.createTeam({ name: "Notifiers" });
  await author.client.inviteMember(team.id, { email: rater.email });
  const second = await author.client.createTeam({ name: "Second" });
  await author.client.inviteMember(second.id, { email: rater.email });
  const unread = await rater.client.listNotifications({ unread_only: true });
  const one = await rater.client.markNotificationRead(unread.notifications[0]?.id ?? "");
  const rest = await rater.client.markAllNotificationsRead();

  assert.deepEqual(found.templates.map((t) => t.id), [template.id]);
  assert.equal(fetched.variables?.[0]?.name, "product");
  assert.equal(rated.my_rating, 5);
  assert.equal(used.template_id, template.id);
  assert.equal(changed.description, "Better");
  assert.ok(deleted.success);
  assert.equal(unread.unread_count, 2);
  assert.ok(one.read);
  assert.equal(rest.updated, 1);
});

test("billing routes subscribe, cancel and report", async () => {
  const { client } = await newAccount();
  await client.generate({ format: "email", input: "Invoice reminder" });

  const before = await client.getSubscription();
  const subscribed = await client.subscribe({ tier: "pro", payment_method_id: "pm_card_visa" });
  const invoices = await client.listInvoices();
  const usage = await client.getUsage();
  const cancelled = await client.cancelSubscription({ reason: "testing" });

  assert.equal(before.tier, "free");
  assert.equal(subscribed.subscription.tier, "pro");
  assert.equal(invoices.invoices.length, 1);
  assert.equal(usage.generations.count, 1);
  assert.equal(usage.tokens.limit, 100_000);
  assert.equal(cancelled.status, "canceling");
});

test("webhook routes register, test, verify, redeliver and delete", async () => {
  const { client } = await newAccount();
  const received: { body: string; headers: Record<string, string> }[] = [];
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (part: Buffer) => (body += part.toString()));
    request.on("end", () => {
      received.push({ body, headers: request.headers as Record<string, string> });
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hooks`;
  try {
    const endpoint = await client.createWebhook({ url, events: ["generation.completed"] });
    const listed = await client.listWebhooks();
    const changed = await client.updateWebhook(endpoint.id, { description: "Changed" });
    const fetched = await client.getWebhook(endpoint.id);
    const delivery = await client.testWebhook(endpoint.id);
    await waitUntil(async () => received.length >= 1);
    const first = received[0];
    assert.ok(first && endpoint.secret);
    const event = await constructEvent(first.body, first.headers, endpoint.secret);
    await assert.rejects(constructEvent(`${first.body} `, first.headers, endpoint.secret));
    const again = await client.redeliverWebhook(endpoint.id, delivery.id);
    await waitUntil(async () => received.length >= 2);
    const deliveries = await client.listWebhookDeliveries(endpoint.id);
    const rotated = await client.rotateWebhookSecret(endpoint.id, { overlap_hours: 1 });
    const deleted = await client.deleteWebhook(endpoint.id);

    assert.deepEqual(listed.webhooks.map((w) => w.id), [endpoint.id]);
    assert.equal(changed.description, "Changed");
    assert.equal(fetched.description, "Changed");
    assert.equal(event.type, "webhook.test");
    assert.equal(event.id, delivery.event_id);
    assert.equal(again.event_id, delivery.event_id);
    assert.ok(deliveries.deliveries.every((d) => d.event_id === delivery.event_id));
    assert.ok(rotated.secret && rotated.secret !== endpoint.secret);
    assert.ok(deleted.deleted);
  } finally {
    receiver.close();
  }
});
