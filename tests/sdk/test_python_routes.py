"""The Python SDK calls every /v1 route of a live server and reads its answer."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

import pytest
from harvest_ai import (
    AsyncHarvestClient,
    HarvestClient,
    NotFound,
    Unauthorized,
    WebhookVerificationError,
)
from harvest_ai import _operations as ops
from harvest_ai.webhooks import construct_event, verify_signature

from rest_compat.routes import ROUTES
from tests import support
from tests.peers.webhook_receiver import WebhookReceiver
from tests.sdk.helpers import (
    PASSWORD,
    api_url,
    mail_to,
    new_account,
    token_in,
    wait_until,
)

NOT_CLIENT_ROUTES = {
    ("GET", "/docs"): "a page for browsers",
    ("GET", "/auth/oauth/{provider}"): "a browser redirect: HarvestClient.oauth_url",
    ("GET", "/auth/oauth/{provider}/callback"): "the provider redirects the browser",
    ("POST", "/billing/webhook"): "Stripe's inbound webhook",
}
SPECIAL_METHODS = {
    ("POST", "/generate/stream"): "generate_stream",
    ("GET", "/generate/stream/{generation_id}"): "resume_stream",
    ("GET", "/exports/{filename}"): "download_export",
}


def _placeholder(parameter: inspect.Parameter) -> Any:
    hint = str(parameter.annotation)
    if "int" in hint and "str" not in hint:
        return 1
    if hint.startswith("Sequence"):
        return []
    return "x"


def _route_of(build: Any) -> tuple[str, str]:
    arguments = {
        name: _placeholder(parameter)
        for name, parameter in inspect.signature(build).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
    call = build(**arguments)
    return call.method, call.path


def _matches(route_path: str, path: str) -> bool:
    pattern = re.sub(r"{\w+}", "[^/]+", route_path)
    return re.fullmatch(pattern, path) is not None


def test_every_route_of_the_table_has_a_method_on_both_clients() -> None:
    built = [(build.__name__, *_route_of(build)) for build in ops.OPERATIONS]

    missing = []
    for route in ROUTES:
        if route.key in NOT_CLIENT_ROUTES:
            continue
        if route.key in SPECIAL_METHODS:
            names = [SPECIAL_METHODS[route.key]]
        else:
            names = [
                name
                for name, method, path in built
                if method == route.method and _matches(route.path, path)
            ]
        if not names:
            missing.append(route.key)
        for name in names:
            assert callable(getattr(HarvestClient, name))
            assert inspect.iscoroutinefunction(getattr(AsyncHarvestClient, name)) or (
                name in {"generate_stream", "resume_stream"}
            )
            assert getattr(HarvestClient, name).__doc__

    assert missing == []


def test_every_method_has_typed_arguments_and_a_typed_answer() -> None:
    for build in ops.OPERATIONS:
        hints = typing.get_type_hints(build)

        assert "return" in hints, build.__name__
        assert set(inspect.signature(build).parameters) <= set(hints), build.__name__


def test_auth_routes_sign_up_log_in_refresh_reset_and_log_out(
    shared_server: support.LiveServer,
) -> None:
    account = new_account(shared_server, name="Ada")
    anonymous = HarvestClient(base_url=api_url(shared_server))

    session = anonymous.login(email=account.email, password=PASSWORD, remember_me=True)
    refreshed = anonymous.refresh(session.tokens.refresh_token)
    mailed = anonymous.forgot_password(account.email)
    token = token_in(mail_to(shared_server, account.email), "rst_")
    reset = anonymous.reset_password(token=token, password="NewSecurePass456!")
    again = anonymous.login(email=account.email, password="NewSecurePass456!")
    logged_out = anonymous.logout(again.tokens.refresh_token)

    assert account.session.user.name == "Ada"
    assert account.session.user.subscription_tier == "free"
    assert session.user.id == account.id
    assert refreshed.access_token and refreshed.refresh_token
    assert refreshed.refresh_token != session.tokens.refresh_token
    assert mailed.success and reset.success and logged_out.success
    with pytest.raises(Unauthorized):
        anonymous.refresh(again.tokens.refresh_token)
    assert (
        anonymous.oauth_url("github") == f"{api_url(shared_server)}/auth/oauth/github"
    )


def test_generation_routes_generate_list_read_export_download_and_delete(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    result = client.generate(
        format="blog",
        input="The future of renewable energy",
        options={"tone": "professional", "keywords": ["solar", "wind"]},
        metadata={"tags": ["energy"]},
    )
    history = client.list_history(format="blog", limit=5, search="renewable")
    generation = client.get_generation(result.id)
    link = client.export_generation(result.id, format="markdown", include_metadata=True)
    document = client.download_export(link.export_url)
    deleted = client.delete_generation(result.id)

    assert result.generation.status == "completed"
    assert result.content and result.content.startswith("# ")
    assert result.usage is not None and result.usage.generations_limit > 0
    assert [g.id for g in history.generations] == [result.id]
    assert history.pagination.total_items == 1
    assert generation.content == result.content
    assert generation.input == "The future of renewable energy"
    assert generation.versions and generation.versions[0].version == 1
    assert result.content.splitlines()[0].encode() in document
    assert deleted.success
    with pytest.raises(NotFound):
        client.get_generation(result.id)


def test_batch_routes_start_a_batch_and_read_its_items(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client
    client.subscribe(tier="pro", payment_method_id="pm_card_visa")

    accepted = client.generate_batch(
        [
            {"id": "one", "format": "email", "input": "Meeting reminder"},
            {"id": "two", "format": "summary", "input": "A long article. " * 20},
        ]
    )
    wait_until(lambda: client.get_batch(accepted.batch_id).status != "processing")
    batch = client.get_batch(accepted.batch_id)

    assert accepted.items == 2 and accepted.status == "processing"
    assert batch.status == "completed"
    assert [item.id for item in batch.items] == ["one", "two"]
    assert all(item.generation_id for item in batch.items)


def test_user_routes_read_update_keys_and_schedule_deletion(
    shared_server: support.LiveServer,
) -> None:
    account = new_account(shared_server)
    client = account.client

    me = client.get_me()
    updated = client.update_me(bio="Writes things", preferences={"theme": "dark"})
    issued = client.create_api_key(name="CI", permissions=["read"])
    keys = client.list_api_keys()
    rotated = client.rotate_api_key(issued.api_key.id, grace_period_seconds=60)
    with HarvestClient(
        api_key=rotated.api_key.key, base_url=api_url(shared_server)
    ) as k:
        seen_by_key = k.get_me()
    removed = client.delete_api_key(issued.api_key.id)
    scheduled = client.delete_me(password=PASSWORD, reason="testing")

    assert me.email == account.email
    assert updated.user.bio == "Writes things"
    assert (updated.user.preferences or {})["theme"] == "dark"
    assert issued.api_key.key.startswith("hv_") and issued.warning
    assert [k.id for k in keys] == [issued.api_key.id]
    assert keys[0].key != issued.api_key.key and keys[0].permissions == ["read"]
    assert rotated.api_key.key != issued.api_key.key
    assert seen_by_key.id == account.id
    assert removed.success
    assert scheduled.success and scheduled.deletion_date
    with pytest.raises(Unauthorized):
        client.get_me()


def test_team_routes_from_creation_to_deletion(
    shared_server: support.LiveServer,
) -> None:
    owner = new_account(shared_server, name="Owner")
    invited = new_account(shared_server, name="Invited")
    joiner = new_account(shared_server, name="Joiner")
    decliner = new_account(shared_server, name="Decliner")

    team = owner.client.create_team(
        name="Content Team", description="Writers", settings={"default_model": None}
    )
    invitation = owner.client.invite_member(team.id, email=invited.email, role="editor")
    declined_invitation = owner.client.invite_member(team.id, email=decliner.email)
    assert invitation.invite_link and declined_invitation.invite_link
    accepted = invited.client.accept_invitation(
        invitation.invite_link.rsplit("/", 1)[1]
    )
    declined = decliner.client.decline_invitation(
        declined_invitation.invite_link.rsplit("/", 1)[1]
    )
    assert team.invite_code is not None
    joined = joiner.client.join_team(team.invite_code)
    promoted = owner.client.update_member_role(team.id, joiner.id, role="admin")
    listed = owner.client.list_teams(limit=10)
    renamed = owner.client.update_team(team.id, name="Content Crew")
    transferred = owner.client.transfer_ownership(team.id, user_id=invited.id)
    left = owner.client.leave_team(team.id)
    removed = invited.client.remove_member(team.id, joiner.id)
    details = invited.client.get_team(team.id)
    deleted = invited.client.delete_team(team.id)

    assert accepted.id == team.id and accepted.role == "editor"
    assert declined.success
    assert joined.role == "viewer"
    assert promoted.role == "admin"
    assert [t.id for t in listed.teams] == [team.id]
    assert listed.teams[0].role == "owner" and listed.teams[0].members_count == 3
    assert renamed.name == "Content Crew"
    assert transferred.owner_id == invited.id
    assert left.success and removed.success
    assert [m.id for m in details.members or []] == [invited.id]
    assert deleted.success
    with pytest.raises(NotFound):
        invited.client.get_team(team.id)


def test_approval_routes_decide_a_pending_team_generation(
    shared_server: support.LiveServer,
) -> None:
    owner = new_account(shared_server, name="Owner")
    editor = new_account(shared_server, name="Editor")
    team = owner.client.create_team(
        name="Reviewed", settings={"approval_required": True}
    )
    invitation = owner.client.invite_member(team.id, email=editor.email, role="editor")
    assert invitation.invite_link
    editor.client.accept_invitation(invitation.invite_link.rsplit("/", 1)[1])

    first = editor.client.generate(
        format="email", input="Launch news", metadata={"team_id": team.id}
    )
    second = editor.client.generate(
        format="email", input="Launch delay", metadata={"team_id": team.id}
    )
    approved = owner.client.approve_generation(first.id)
    rejected = owner.client.reject_generation(second.id)

    assert approved.id == first.id and approved.approval_status == "approved"
    assert rejected.id == second.id and rejected.approval_status == "rejected"
    assert approved.team_id == team.id and approved.author_id == editor.id


def test_template_routes_create_find_rate_use_and_delete(
    shared_server: support.LiveServer,
) -> None:
    author = new_account(shared_server, name="Author")
    rater = new_account(shared_server, name="Rater")

    template = author.client.create_template(
        name="Email Campaign",
        description="Marketing email",
        category="marketing",
        format="email",
        prompt="Create an email campaign about {{product}} for {{audience}}",
        variables=[
            {"name": "product", "type": "text", "required": True},
            {"name": "audience", "type": "select", "options": ["B2B", "B2C"]},
        ],
        is_public=True,
    )
    found = rater.client.list_templates(is_public=True, search="Campaign")
    fetched = rater.client.get_template(template.id)
    rated = rater.client.rate_template(template.id, 4)
    used = rater.client.use_template(
        template.id, variables={"product": "Harvest", "audience": "B2B"}
    )
    changed = author.client.update_template(template.id, description="Better email")
    deleted = author.client.delete_template(template.id)

    assert template.id.startswith("tpl_") and template.is_public
    assert [t.id for t in found.templates] == [template.id]
    assert fetched.variables and fetched.variables[0]["name"] == "product"
    assert rated.rating == 4 and rated.my_rating == 4
    assert used.template_id == template.id and used.content
    assert changed.description == "Better email"
    assert deleted.success
    with pytest.raises(NotFound):
        rater.client.get_template(template.id)


def test_notification_routes_list_and_mark_read(
    shared_server: support.LiveServer,
) -> None:
    owner = new_account(shared_server, name="Owner")
    invited = new_account(shared_server, name="Invited")
    team = owner.client.create_team(name="Notifiers")
    owner.client.invite_member(team.id, email=invited.email)
    owner.client.invite_member(team.id, email="someone-else@example.com")
    second_team = owner.client.create_team(name="Second")
    owner.client.invite_member(second_team.id, email=invited.email)

    unread = invited.client.list_notifications(unread_only=True)
    one = invited.client.mark_notification_read(unread.notifications[0].id)
    rest = invited.client.mark_all_notifications_read()
    after = invited.client.list_notifications(unread_only=True)

    assert unread.unread_count == 2
    assert {n.type for n in unread.notifications} == {"team_invite"}
    assert one.read and one.read_at is not None
    assert rest.updated == 1
    assert after.notifications == [] and after.unread_count == 0


def test_billing_routes_subscribe_cancel_and_report(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client
    client.generate(format="email", input="Invoice reminder")

    before = client.get_subscription()
    subscribed = client.subscribe(tier="pro", payment_method_id="pm_card_visa")
    invoices = client.list_invoices()
    usage = client.get_usage()
    cancelled = client.cancel_subscription(reason="testing")

    assert before.tier == "free"
    assert subscribed.subscription.tier == "pro"
    assert subscribed.subscription.status == "active"
    assert subscribed.invoice is not None and subscribed.invoice["status"] == "paid"
    assert [i.id for i in invoices.invoices] == [subscribed.invoice["id"]]
    assert usage.generations["count"] == 1
    assert usage.tokens["limit"] == 100_000
    assert cancelled.status == "canceling" and cancelled.cancel_at is not None


def test_webhook_routes_register_test_verify_redeliver_and_delete(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client
    receiver = WebhookReceiver()
    receiver.start()
    try:
        endpoint = client.create_webhook(
            url=receiver.url, events=["generation.completed"], description="CI"
        )
        assert endpoint.secret is not None
        listed = client.list_webhooks()
        fetched = client.get_webhook(endpoint.id)
        changed = client.update_webhook(endpoint.id, description="Changed")
        delivery = client.test_webhook(endpoint.id)
        wait_until(lambda: len(receiver.received) >= 1)
        first = receiver.received[0]
        event = construct_event(first.body, first.headers, endpoint.secret)
        for body, secret in ((first.body + b" ", endpoint.secret), (first.body, "x")):
            with pytest.raises(WebhookVerificationError):
                construct_event(body, first.headers, secret)
        stale = {**first.headers, "webhook-timestamp": "1000000000"}
        with pytest.raises(WebhookVerificationError):
            construct_event(first.body, stale, endpoint.secret)
        again = client.redeliver_webhook(endpoint.id, delivery.id)
        wait_until(lambda: len(receiver.received) >= 2)
        deliveries = client.list_webhook_deliveries(endpoint.id)
        rotated = client.rotate_webhook_secret(endpoint.id, overlap_hours=1)
        deleted = client.delete_webhook(endpoint.id)
    finally:
        receiver.stop()

    assert [w.id for w in listed.webhooks] == [endpoint.id]
    assert fetched.events == ["generation.completed"]
    assert changed.description == "Changed"
    assert event.type == "webhook.test" and event.id == delivery.event_id
    assert verify_signature(
        first.body, first.headers["x-harvest-signature"], endpoint.secret
    )
    assert again.event_id == delivery.event_id
    assert {d.event_id for d in deliveries.deliveries} == {delivery.event_id}
    assert rotated.secret and rotated.secret != endpoint.secret
    assert deleted.deleted
    with pytest.raises(NotFound):
        client.get_webhook(endpoint.id)


def test_the_openapi_route_is_read_as_a_document(
    shared_server: support.LiveServer,
) -> None:
    client = HarvestClient(base_url=api_url(shared_server))

    document = client.get_openapi()

    assert document["openapi"].startswith("3.")
    assert "/generate" in document["paths"]


async def test_the_async_client_has_the_same_methods_awaited(
    shared_server: support.LiveServer,
) -> None:
    token = new_account(shared_server).client.api_key

    async with AsyncHarvestClient(api_key=token, base_url=api_url(shared_server)) as c:
        result = await c.generate(format="email", input="Quarterly update")
        fetched = await c.get_generation(result.id)
        history = await c.list_history()
        team = await c.create_team(name="Async Team")
        teams = await c.list_teams()
        data = await c.graphql("query { me { id } }")
        with pytest.raises(NotFound):
            await c.get_template("tpl_doesnotexist")

    assert fetched.content == result.content
    assert [g.id for g in history.generations] == [result.id]
    assert [t.id for t in teams.teams] == [team.id]
    assert data["me"]["id"]
