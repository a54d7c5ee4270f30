"""Every error code a live server answers reaches the caller as its own class,
carrying the envelope's code, message, details and request id."""

from __future__ import annotations

import pytest
from harvest_ai import (
    NO_RETRIES,
    APIError,
    Conflict,
    ContentFiltered,
    Forbidden,
    HarvestClient,
    NotFound,
    QuotaExceeded,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Unauthorized,
    UnsupportedModel,
    ValidationFailed,
)

from tests import support
from tests.sdk.helpers import api_url, new_account


def _assert_envelope(error: APIError, code: str, status: int) -> None:
    assert error.code == code
    assert error.status == status
    assert error.message
    assert error.request_id and error.request_id.startswith("req_")
    assert error.body["documentation_url"].endswith(code)


def test_a_wrong_key_is_unauthorized(shared_server: support.LiveServer) -> None:
    client = HarvestClient(api_key="hv_not-a-key", base_url=api_url(shared_server))

    with pytest.raises(Unauthorized) as caught:
        client.get_me()

    _assert_envelope(caught.value, "UNAUTHORIZED", 401)


def test_a_read_only_key_is_forbidden_to_generate(
    shared_server: support.LiveServer,
) -> None:
    owner = new_account(shared_server).client
    key = owner.create_api_key(name="reader", permissions=["read"]).api_key.key
    reader = HarvestClient(api_key=key, base_url=api_url(shared_server))

    with pytest.raises(Forbidden) as caught:
        reader.generate(format="blog", input="Not allowed")

    _assert_envelope(caught.value, "FORBIDDEN", 403)


def test_an_unknown_generation_is_not_found(shared_server: support.LiveServer) -> None:
    client = new_account(shared_server).client

    with pytest.raises(NotFound) as caught:
        client.get_generation("gen_doesnotexist")

    _assert_envelope(caught.value, "NOT_FOUND", 404)


def test_an_unknown_format_is_a_validation_error_naming_the_field(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    with pytest.raises(ValidationFailed) as caught:
        client.generate(format="poem", input="Roses")

    _assert_envelope(caught.value, "VALIDATION_ERROR", 400)
    assert caught.value.details["field"] == "format"


def test_a_batch_larger_than_the_plan_exceeds_the_quota(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client
    items = [{"id": str(i), "format": "email", "input": "Hello"} for i in range(11)]

    with pytest.raises(QuotaExceeded) as caught:
        client.generate_batch(items)

    _assert_envelope(caught.value, "QUOTA_EXCEEDED", 402)
    assert caught.value.details["field"] == "batch"


def test_inviting_a_member_again_is_a_conflict(
    shared_server: support.LiveServer,
) -> None:
    owner = new_account(shared_server)
    team = owner.client.create_team(name="Conflicted")

    with pytest.raises(Conflict) as caught:
        owner.client.invite_member(team.id, email=owner.email)

    _assert_envelope(caught.value, "CONFLICT", 409)


def test_a_model_the_server_lacks_is_unsupported_with_the_ones_it_has(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    with pytest.raises(UnsupportedModel) as caught:
        client.generate(format="blog", input="AI", options={"model": "gpt-4"})

    _assert_envelope(caught.value, "UNSUPPORTED_MODEL", 400)
    assert caught.value.details["supported_models"] == ["offline-writer"]


def test_a_refusal_by_the_model_is_content_filtered(
    shared_peer_server: support.LiveServer,
) -> None:
    client = new_account(shared_peer_server).client

    with pytest.raises(ContentFiltered) as caught:
        client.generate(format="blog", input="AI", options={"model": "peer-filter"})

    _assert_envelope(caught.value, "CONTENT_FILTERED", 400)


def test_a_refusal_in_a_stream_is_raised_from_the_iteration(
    shared_peer_server: support.LiveServer,
) -> None:
    client = new_account(shared_peer_server).client
    stream = client.generate_stream(
        format="blog", input="AI", options={"model": "peer-filter"}
    )

    with pytest.raises(ContentFiltered) as caught:
        list(stream)

    assert caught.value.code == "CONTENT_FILTERED"
    assert caught.value.details["generation_id"] == stream.generation_id


def test_a_model_that_does_not_answer_in_time_is_a_timeout(
    shared_peer_server: support.LiveServer,
) -> None:
    client = new_account(shared_peer_server).client

    with pytest.raises(Timeout) as caught:
        client.generate(format="blog", input="AI", options={"model": "peer-slow"})

    _assert_envelope(caught.value, "TIMEOUT", 504)


def test_a_failing_model_provider_is_service_unavailable(
    shared_peer_server: support.LiveServer,
) -> None:
    client = new_account(shared_peer_server).client
    client_without_retries = HarvestClient(
        api_key=client.api_key, base_url=client.base_url, retry=NO_RETRIES
    )

    with pytest.raises(ServiceUnavailable) as caught:
        client_without_retries.generate(
            format="blog", input="AI", options={"model": "peer-error"}
        )

    _assert_envelope(caught.value, "SERVICE_UNAVAILABLE", 503)
    assert caught.value.details["status"] == "failed"


def test_a_malformed_model_answer_is_a_server_error(
    shared_peer_server: support.LiveServer,
) -> None:
    client = new_account(shared_peer_server).client

    with pytest.raises(ServerError) as caught:
        client.generate(format="blog", input="AI", options={"model": "peer-empty"})

    _assert_envelope(caught.value, "SERVER_ERROR", 500)


def test_graphql_errors_are_raised_with_their_extensions(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    data = client.graphql("query Me { me { id } }", operation_name="Me")
    with pytest.raises(NotFound) as caught:
        client.graphql(
            "query G($id: ID!) { generation(id: $id) { id } }",
            {"id": "gen_doesnotexist"},
        )

    assert data["me"]["id"]
    assert caught.value.code == "NOT_FOUND"
    assert caught.value.request_id
