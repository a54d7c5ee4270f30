"""Generation mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import generation, generation_export
from resolvers.generation_request import GenerationRequest
from schema.context import Context, call
from schema.generation.types import (
    ExportFormat,
    GenerateInput,
    GenerateResult,
    GenerateUsage,
    Generation,
    GenerationDeleteResult,
    GenerationExport,
    GenerationExportOptions,
)


def request_of(input: GenerateInput) -> GenerationRequest:
    return GenerationRequest(
        format=input.format.value,
        input=input.input,
        options=input.options or {},  # type: ignore[arg-type]
        metadata=input.metadata,  # type: ignore[arg-type]
    )


@strawberry.type
class GenerationMutation:
    @strawberry.mutation(
        description="Generate text and wait for it (POST /v1/generate). The "
        "generation is stored whatever happens to this request."
    )
    async def generate(
        self, info: Info[Context, None], input: GenerateInput
    ) -> GenerateResult:
        result = await call(info, generation.generate, request=request_of(input))
        return GenerateResult(
            generation=Generation.of(result.generation),
            usage=GenerateUsage.of(result.usage),
        )

    @strawberry.mutation(
        description="Start a generation and return at once (status queued); "
        "follow it with the generation subscription or the generation query."
    )
    async def generation_start(
        self, info: Info[Context, None], input: GenerateInput
    ) -> Generation:
        row = await call(info, generation.start_generation, request=request_of(input))
        return Generation.of(row)

    @strawberry.mutation(description="Stop a queued or running generation.")
    async def generation_cancel(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
    ) -> Generation:
        row = await call(info, generation.cancel_generation, generation_id=str(id))
        return Generation.of(row)

    @strawberry.mutation(description="Delete a generation and all its versions.")
    async def generation_delete(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
    ) -> GenerationDeleteResult:
        await call(info, generation.delete_generation, generation_id=str(id))
        return GenerationDeleteResult(
            success=True, message="Generation deleted successfully"
        )

    @strawberry.mutation(
        description="Replace the text by hand: stored as the next version."
    )
    async def generation_edit(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
        content: Annotated[str, strawberry.argument(description="The new text.")],
    ) -> Generation:
        row = await call(
            info, generation.edit_generation, generation_id=str(id), content=content
        )
        return Generation.of(row)

    @strawberry.mutation(
        description="Run the model again, optionally with changed options; the "
        "result is stored as the next version. Returns at once (queued)."
    )
    async def generation_regenerate(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
        options: Annotated[
            JSON | None,
            strawberry.argument(description="Options to change; the rest are kept."),
        ] = None,
    ) -> Generation:
        row = await call(
            info,
            generation.regenerate_generation,
            generation_id=str(id),
            options=options,
        )
        return Generation.of(row)

    @strawberry.mutation(
        description="A signed link to the generation as a file (pdf, markdown, "
        "html, txt or docx), valid for 24 hours."
    )
    async def generation_export(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
        format: Annotated[
            ExportFormat, strawberry.argument(description="The file format.")
        ],
        options: Annotated[
            GenerationExportOptions | None,
            strawberry.argument(description="include_metadata and watermark."),
        ] = None,
    ) -> GenerationExport:
        chosen = options or GenerationExportOptions()
        link = await call(
            info,
            generation_export.export_generation,
            generation_id=str(id),
            format=format.value,
            include_metadata=chosen.include_metadata,
            watermark=chosen.watermark,
        )
        return GenerationExport(
            export_url=link.url, expires_at=link.expires_at, format=format
        )
