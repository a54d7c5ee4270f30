"""POST /v1/generate/{id}/export: signed, expiring links to real files."""

from __future__ import annotations

import base64
import contextlib
import io
import re
import zlib
from datetime import timedelta
from urllib.parse import urlsplit

import docx
import httpx
import pytest
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from models.base import utcnow
from resolvers.generation_export import sign_export_url
from tests.factories import make_user
from tests.generation.factories import make_generation

CONTENT = (
    "# Solar Power Today\n\nPanels are cheaper than ever.\n\n"
    "## Storage\n\n- Batteries smooth the evening peak\n- Pumped hydro lasts"
)


def pdf_text(data: bytes) -> str:
    """The text drawn by a PDF's content streams (ASCII85 and Flate decoded)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\s*endstream", data, re.S):
        if stream.rstrip().endswith(b"~>"):
            stream = base64.a85decode(stream.rstrip()[:-2].replace(b"\n", b""))
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        texts += re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", stream)
    return b" ".join(texts).decode("latin-1")


async def export(
    client: httpx.AsyncClient,
    generation_id: str,
    headers: dict[str, str],
    **body: object,
) -> httpx.Response:
    return await client.post(
        f"/v1/generate/{generation_id}/export", json=body, headers=headers
    )


async def download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    parts = urlsplit(url)
    return await client.get(f"{parts.path}?{parts.query}")


async def test_export_returns_a_signed_url_on_the_public_url_for_24_hours(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    before = utcnow()

    response = await export(client, row.id, user.headers, format="pdf")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"export_url", "expires_at"}
    assert body["export_url"].startswith(f"http://testserver/v1/exports/{row.id}.pdf?")
    assert "signature=" in body["export_url"]
    expires = body["expires_at"]
    assert expires.endswith("Z")
    hours = (
        utcnow().fromisoformat(expires.replace("Z", "+00:00")) - before
    ).total_seconds() / 3600
    assert 23.9 < hours <= 24.01


async def test_exported_pdf_is_a_pdf_holding_the_text(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = await export(
        client,
        row.id,
        user.headers,
        format="pdf",
        options={"include_metadata": True, "watermark": True},
    )

    response = await download(client, link.json()["export_url"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Solar Power Today" in text
    assert "Panels are cheaper than ever." in text
    assert "Batteries smooth the evening peak" in text
    assert f"Generation: {row.id}" in text
    assert "Generated with Harvest" in text


async def test_exported_docx_opens_with_python_docx(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = await export(client, row.id, user.headers, format="docx")

    response = await download(client, link.json()["export_url"])

    document = docx.Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Solar Power Today" in paragraphs
    assert "Panels are cheaper than ever." in paragraphs
    assert "Batteries smooth the evening peak" in paragraphs
    assert document.sections[0].header.paragraphs[0].text == ""


@pytest.mark.parametrize(
    ("format", "media_type", "expected"),
    [
        ("markdown", "text/markdown", "## Storage"),
        ("html", "text/html", "<h2>Storage</h2>"),
        ("txt", "text/plain", "- Pumped hydro lasts"),
    ],
)
async def test_text_exports_carry_the_content_metadata_and_watermark(
    app: Starlette,
    client: httpx.AsyncClient,
    format: str,
    media_type: str,
    expected: str,
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = await export(
        client,
        row.id,
        user.headers,
        format=format,
        options={"include_metadata": True, "watermark": True},
    )

    response = await download(client, link.json()["export_url"])

    assert response.headers["content-type"].startswith(media_type)
    assert expected in response.text
    assert "Model: offline-writer" in response.text
    assert "Generated with Harvest" in response.text


async def test_forged_export_url_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    mine = await make_generation(app, user, content=CONTENT)
    other = await make_generation(app, await make_user(app))
    url = (await export(client, mine.id, user.headers, format="txt")).json()[
        "export_url"
    ]

    swapped = await download(client, url.replace(mine.id, other.id))
    tampered = await download(client, url.replace("options=", "options=m"))
    unsigned = await client.get(f"/v1/exports/{mine.id}.txt")

    assert swapped.status_code == 403
    assert swapped.json()["error"]["details"]["reason"] == "invalid_signature"
    assert tampered.status_code == 403
    assert unsigned.status_code == 403


async def test_expired_export_url_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = sign_export_url(
        app.state.parts.config,
        generation_id=row.id,
        format="txt",
        include_metadata=False,
        watermark=False,
        now=utcnow() - timedelta(hours=25),
    )

    response = await download(client, link.url)

    assert response.status_code == 403
    assert response.json()["error"]["details"]["reason"] == "expired"


async def test_export_refuses_an_unknown_format(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    response = await export(client, row.id, user.headers, format="rtf")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "format"


async def test_export_url_is_on_the_configured_public_url(
    settings: Settings,
) -> None:
    configured = settings.with_overrides(public_url="https://files.harvest.example")
    application = create_app(configured, auto_migrate=False)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://internal:8000",
        ) as client,
    ):
        user = await make_user(application)
        row = await make_generation(application, user, content=CONTENT)
        link = await export(client, row.id, user.headers, format="markdown")
        response = await download(client, link.json()["export_url"])

    assert link.json()["export_url"].startswith(
        f"https://files.harvest.example/v1/exports/{row.id}.md?"
    )
    assert response.status_code == 200
    assert "# Solar Power Today" in response.text


async def test_docx_export_carries_metadata_and_watermark_when_asked(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = await export(
        client,
        row.id,
        user.headers,
        format="docx",
        options={"include_metadata": True, "watermark": True},
    )

    response = await download(client, link.json()["export_url"])

    document = docx.Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert f"Generation: {row.id}" in paragraphs
    assert "Format: blog" in paragraphs
    assert "Solar Power Today" in paragraphs
    assert document.sections[0].header.paragraphs[0].text == "Generated with Harvest"


@pytest.mark.parametrize("format", ["pdf", "markdown", "html", "txt", "docx"])
async def test_exports_leave_out_metadata_and_watermark_unless_asked(
    app: Starlette, client: httpx.AsyncClient, format: str
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    link = await export(client, row.id, user.headers, format=format)

    response = await download(client, link.json()["export_url"])

    assert response.status_code == 200
    if format == "pdf":
        text = pdf_text(response.content)
    elif format == "docx":
        text = "\n".join(
            p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs
        )
    else:
        text = response.text
    assert "Panels are cheaper than ever." in text
    assert row.id not in text
    assert "Generated with Harvest" not in text


async def test_export_mutation_returns_a_link_that_downloads(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content=CONTENT)
    document = """
    mutation ($id: ID!) {
      generationExport(id: $id, format: html, options: {watermark: true}) {
        exportUrl expiresAt
      }
    }
    """

    response = await client.post(
        "/graphql",
        json={"query": document, "variables": {"id": row.id}},
        headers=user.headers,
    )
    link = response.json()["data"]["generationExport"]
    file = await download(client, link["exportUrl"])

    assert link["exportUrl"].startswith(f"http://testserver/v1/exports/{row.id}.html?")
    assert file.status_code == 200
    assert "<h1>Solar Power Today</h1>" in file.text
    assert "Generated with Harvest" in file.text
