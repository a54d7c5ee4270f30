"""Any OpenAI-compatible chat completions endpoint, through the openai SDK.

The SDK's failures become the domain's: a timeout is TIMEOUT, an outage, a
rate limit or an upstream error is SERVICE_UNAVAILABLE, and a refusal for
content is CONTENT_FILTERED.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai

from resolvers.errors import (
    ContentFiltered,
    HarvestError,
    ServiceUnavailable,
    Timeout,
)
from resolvers.ports import ModelDelta, ModelRequest, ModelUsage
from resolvers.prompts import estimate_tokens

logger = logging.getLogger(__name__)

FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})


def _refused() -> ContentFiltered:
    return ContentFiltered(
        "The model refused this request under its content policy: rephrase the input"
    )


def _past_deadline(seconds: float) -> Timeout:
    return Timeout(
        f"The model did not finish within {seconds:g} seconds: retry, or ask for less"
    )


def translate(error: BaseException) -> HarvestError:
    """The domain error for an SDK or transport failure."""
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
        return Timeout("The model did not answer in time: retry, or ask for less")
    if isinstance(error, openai.APIStatusError):
        code = getattr(error, "code", None)
        if error.status_code == 400 and code in FILTER_CODES:
            return _refused()
        retry = {"Retry-After": "30"} if error.status_code == 429 else {}
        return ServiceUnavailable(
            "The model provider is unavailable: retry shortly",
            details={"upstream_status": error.status_code},
            headers=retry,
        )
    return ServiceUnavailable(
        "The model provider could not be reached: retry shortly",
        details={"upstream_error": type(error).__name__},
    )


class OpenAICompatibleProvider:
    """Chat completions on one endpoint; streams with usage reported."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
        deadline_seconds: float = 600.0,
        max_retries: int = 1,
        name: str = "openai",
    ) -> None:
        self.name = name
        # ``timeout_seconds`` bounds each wait on the endpoint; a stream that
        # keeps trickling would never trip it, so the whole call has a deadline.
        self.deadline_seconds = deadline_seconds
        self.client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_seconds,
            max_retries=max_retries,
        )

    def _arguments(self, request: ModelRequest) -> dict[str, Any]:
        return {
            "model": request.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }

    def _log(self, operation: str, status: str, started: float) -> None:
        logger.info(
            "model call",
            extra={
                "provider": self.name,
                "operation": operation,
                "status": status,
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )

    async def complete(self, request: ModelRequest) -> tuple[str, ModelUsage]:
        """One non-streaming call."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.deadline_seconds):
                answer = await self.client.chat.completions.create(
                    **self._arguments(request)
                )
        except TimeoutError as exc:
            self._log("complete", "deadline", started)
            raise _past_deadline(self.deadline_seconds) from exc
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            self._log("complete", type(exc).__name__, started)
            raise translate(exc) from exc
        choice = answer.choices[0]
        if choice.finish_reason == "content_filter" or choice.message.refusal:
            self._log("complete", "content_filter", started)
            raise _refused()
        text = choice.message.content or ""
        usage = answer.usage
        self._log("complete", "ok", started)
        if usage is None:
            return text, ModelUsage(0, estimate_tokens(text))
        return text, ModelUsage(usage.prompt_tokens, usage.completion_tokens)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        """A streaming call; the last delta carries the usage the endpoint
        reported (estimated when it reports none)."""
        started = time.monotonic()
        usage: ModelUsage | None = None
        written = 0
        try:
            stream = await self.client.chat.completions.create(
                **self._arguments(request),
                stream=True,
                stream_options={"include_usage": True},
            )
            async for event in stream:
                if time.monotonic() - started > self.deadline_seconds:
                    await stream.close()
                    raise _past_deadline(self.deadline_seconds)
                if event.usage is not None:
                    usage = ModelUsage(
                        event.usage.prompt_tokens, event.usage.completion_tokens
                    )
                for choice in event.choices:
                    if choice.finish_reason == "content_filter" or getattr(
                        choice.delta, "refusal", None
                    ):
                        raise _refused()
                    if choice.delta.content:
                        written += estimate_tokens(choice.delta.content)
                        yield ModelDelta(text=choice.delta.content)
        except ContentFiltered:
            self._log("stream", "content_filter", started)
            raise
        except Timeout:
            self._log("stream", "deadline", started)
            raise
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            self._log("stream", type(exc).__name__, started)
            raise translate(exc) from exc
        self._log("stream", "ok", started)
        yield ModelDelta(usage=usage or ModelUsage(0, written))
