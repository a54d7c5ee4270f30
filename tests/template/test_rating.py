"""Rating: 1 to 5, one rating per user, the average shown."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.template.factories import make_template


async def rate(
    client: httpx.AsyncClient, template_id: str, headers: dict[str, str], rating: object
) -> httpx.Response:
    return await client.post(
        f"/v1/templates/{template_id}/rate", json={"rating": rating}, headers=headers
    )


async def test_the_average_of_each_users_rating_is_shown(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author, is_public=True)
    first, second = await make_user(app), await make_user(app)

    await rate(client, template.id, first.headers, 5)
    response = await rate(client, template.id, second.headers, 4)

    shown = response.json()["template"]
    assert shown["rating"] == 4.5
    assert shown["rating_count"] == 2
    assert shown["my_rating"] == 4


async def test_rating_again_replaces_the_first_rating(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author, is_public=True)
    rater = await make_user(app)

    await rate(client, template.id, rater.headers, 1)
    response = await rate(client, template.id, rater.headers, 5)

    assert response.json()["template"]["rating"] == 5.0
    assert response.json()["template"]["rating_count"] == 1


async def test_ratings_outside_one_to_five_are_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author, is_public=True)
    rater = await make_user(app)

    statuses = [
        (await rate(client, template.id, rater.headers, value)).status_code
        for value in (0, 6, -1, 3.5, "4")
    ]

    assert statuses == [400, 400, 400, 400, 400]


async def test_authors_cannot_rate_their_own_and_nobody_rates_what_they_cannot_see(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    public = await make_template(app, author, is_public=True)
    private = await make_template(app, author)
    stranger = await make_user(app)

    own = await rate(client, public.id, author.headers, 5)
    hidden = await rate(client, private.id, stranger.headers, 5)

    assert own.status_code == 403
    assert hidden.status_code == 404


async def test_concurrent_ratings_all_count(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author, is_public=True)
    raters = [await make_user(app) for _ in range(8)]

    responses = await asyncio.gather(
        *(rate(client, template.id, r.headers, 1 + i % 5) for i, r in enumerate(raters))
    )

    assert all(r.status_code == 200 for r in responses)
    final = await client.get(f"/v1/templates/{template.id}", headers=author.headers)
    shown = final.json()["template"]
    assert shown["rating_count"] == 8
    assert shown["rating"] == round(sum(1 + i % 5 for i in range(8)) / 8, 2)
