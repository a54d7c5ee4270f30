"""Generations as GraphQL types."""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models.generation import Generation as GenerationRow
from models.generation import GenerationVersion as VersionRow
from resolvers.generation import UsageBlock
from schema.context import Context
from schema.pagination import Pagination

PREVIEW_CHARS = 160


@strawberry.enum(description="What kind of text a generation is.")
class GenerationFormat(Enum):
    blog = "blog"
    email = "email"
    summary = "summary"
    social_post = "social_post"
    product_description = "product_description"
    ad_copy = "ad_copy"


@strawberry.enum(description="Where a generation is in its life.")
class GenerationStatus(Enum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


@strawberry.enum(description="A file format a generation can be exported to.")
class ExportFormat(Enum):
    pdf = "pdf"
    markdown = "markdown"
    html = "html"
    txt = "txt"
    docx = "docx"


@strawberry.type(description="Why a generation failed.")
class GenerationError:
    code: str = strawberry.field(description="A code from the spec's error table.")
    message: str = strawberry.field(description="What went wrong.")


@strawberry.type(description="One stored text of a generation.")
class GenerationVersion:
    version: int = strawberry.field(description="1 for the first text, then 2, 3...")
    content: str = strawberry.field(description="The text of this version.")
    source: str = strawberry.field(
        description="generated (first run), regenerated (a later run) or edited."
    )
    created_at: datetime = strawberry.field(description="When it was stored.")

    @classmethod
    def of(cls, row: VersionRow) -> GenerationVersion:
        return cls(
            version=row.version,
            content=row.content,
            source=row.source,
            created_at=row.created_at,
        )


def preview_of(content: str) -> str:
    """The opening of the text without Markdown marks, for lists."""
    text = re.sub(r"^(#+ |Subject: |- )", "", content, flags=re.M)
    text = " ".join(text.split())
    if len(text) <= PREVIEW_CHARS:
        return text
    return text[:PREVIEW_CHARS].rsplit(" ", 1)[0] + "..."


@strawberry.type(description="A piece of generated text and how it was made.")
class Generation:
    id: str = strawberry.field(description="Generation id (gen_...).")
    format: GenerationFormat = strawberry.field(description="The kind of text.")
    status: GenerationStatus = strawberry.field(description="Where it is in its life.")
    title: str = strawberry.field(description="Its heading, subject or first line.")
    content: str = strawberry.field(description="The latest version's text.")
    word_count: int = strawberry.field(description="Words in the content.")
    tokens_used: int = strawberry.field(
        description="Tokens the last run used (prompt and answer)."
    )
    model: str = strawberry.field(description="The model that wrote it.")
    input: str = strawberry.field(description="What the caller asked about.")
    options: JSON = strawberry.field(description="The options, defaults filled in.")
    metadata: JSON = strawberry.field(description="The caller's labels.")
    processing_time_ms: int = strawberry.field(
        description="How long the last run took, in milliseconds."
    )
    error: GenerationError | None = strawberry.field(
        description="Why it failed, when status is failed."
    )
    user_id: str = strawberry.field(description="Its author.")
    team_id: str | None = strawberry.field(description="Its team, if any.")
    template_id: str | None = strawberry.field(description="Its template, if any.")
    batch_id: str | None = strawberry.field(description="Its batch, if any.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    updated_at: datetime = strawberry.field(description="Last change.")
    completed_at: datetime | None = strawberry.field(
        description="When its last run completed."
    )

    @strawberry.field(description="The opening of the content, for lists.")
    def preview(self) -> str:
        return preview_of(self.content)

    @strawberry.field(description="Every stored version, oldest first.")
    async def versions(self, info: Info[Context, None]) -> list[GenerationVersion]:
        loader = info.context.loaders.get("generation_versions_by_generation_id")
        if loader is None:
            from schema.generation.loaders import versions_loader

            loader = versions_loader(info.context)
        rows: list[VersionRow] = await loader.load(self.id)
        return [GenerationVersion.of(row) for row in rows]

    @classmethod
    def of(cls, row: GenerationRow) -> Generation:
        error = None
        if row.status == "failed" and row.error_code:
            error = GenerationError(
                code=row.error_code, message=row.error_message or ""
            )
        return cls(
            id=row.id,
            format=GenerationFormat(row.format),
            status=GenerationStatus(row.status),
            title=row.title,
            content=row.content,
            word_count=row.word_count,
            tokens_used=row.tokens_used,
            model=row.model,
            input=row.input,
            options=cast(JSON, row.options),
            metadata=cast(JSON, row.meta),
            processing_time_ms=row.processing_time_ms,
            error=error,
            user_id=row.user_id,
            team_id=row.team_id,
            template_id=row.template_id,
            batch_id=row.batch_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
        )


@strawberry.type(description="The caller's standing after a generation.")
class GenerateUsage:
    tokens_used: int = strawberry.field(description="Tokens this generation used.")
    tokens_remaining: int = strawberry.field(
        description="Tokens left in this month's allowance."
    )
    generations_today: int = strawberry.field(description="Generations made today.")
    generations_limit: int = strawberry.field(
        description="Generations allowed per month by the plan."
    )

    @classmethod
    def of(cls, block: UsageBlock) -> GenerateUsage:
        return cls(
            tokens_used=block.tokens_used,
            tokens_remaining=block.tokens_remaining,
            generations_today=block.generations_today,
            generations_limit=block.generations_limit,
        )


@strawberry.type(description="A finished generation and the caller's usage.")
class GenerateResult:
    generation: Generation = strawberry.field(description="The stored generation.")
    usage: GenerateUsage = strawberry.field(description="Usage after it.")


@strawberry.type(description="One page of generations.")
class GenerationPage:
    generations: list[Generation] = strawberry.field(description="This page.")
    pagination: Pagination = strawberry.field(description="Where the page sits.")


@strawberry.type(description="A signed, expiring link to an exported file.")
class GenerationExport:
    export_url: str = strawberry.field(description="Download it here, without a token.")
    expires_at: datetime = strawberry.field(description="The link works until then.")
    format: ExportFormat = strawberry.field(description="The file's format.")


@strawberry.type(description="The outcome of a deletion.")
class GenerationDeleteResult:
    success: bool = strawberry.field(description="True when it was deleted.")
    message: str = strawberry.field(description="What happened.")


@strawberry.input(description="What to generate.")
class GenerateInput:
    format: GenerationFormat = strawberry.field(description="The kind of text.")
    input: str = strawberry.field(description="The topic, notes, or text to summarise.")
    options: JSON | None = strawberry.field(
        default=None,
        description="model, tone, length (short|medium|long), language, temperature "
        "(0-2), max_tokens, audience, style, keywords (list).",
    )
    metadata: JSON | None = strawberry.field(
        default=None,
        description="Free labels; team_id puts the generation in a team.",
    )


@strawberry.input(description="How to export a generation.")
class GenerationExportOptions:
    include_metadata: bool = strawberry.field(
        default=False, description="Add the model, dates and options to the file."
    )
    watermark: bool = strawberry.field(
        default=False, description="Mark every page as made with Harvest."
    )
