"""Python client for the Harvest API.

    from harvest_ai import HarvestClient

    client = HarvestClient(api_key="hv_...", base_url="http://127.0.0.1:8000/v1")
    generation = client.generate(format="blog", input="The future of AI...")
    for chunk in client.generate_stream(format="blog", input="The future of AI..."):
        print(chunk.text, end="")

``AsyncHarvestClient`` has the same methods, awaited.
"""

from harvest_ai._core import NO_RETRIES, RetryPolicy
from harvest_ai.async_client import AsyncGenerationStream, AsyncHarvestClient
from harvest_ai.client import GenerationStream, HarvestClient
from harvest_ai.errors import (
    APIConnectionError,
    APIError,
    Conflict,
    ContentFiltered,
    Forbidden,
    HarvestError,
    NotFound,
    QuotaExceeded,
    RateLimited,
    RealtimeClosed,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Unauthorized,
    UnsupportedModel,
    ValidationFailed,
    WebhookVerificationError,
)
from harvest_ai.models import StreamChunk
from harvest_ai.realtime import AsyncRealtimeConnection, RealtimeConnection
from harvest_ai.webhooks import (
    construct_event,
    sign_payload,
    verify_signature,
    verify_standard_signature,
)

__version__ = "0.1.0"

__all__ = [
    "NO_RETRIES",
    "APIConnectionError",
    "APIError",
    "AsyncGenerationStream",
    "AsyncHarvestClient",
    "AsyncRealtimeConnection",
    "Conflict",
    "ContentFiltered",
    "Forbidden",
    "GenerationStream",
    "HarvestClient",
    "HarvestError",
    "NotFound",
    "QuotaExceeded",
    "RateLimited",
    "RealtimeClosed",
    "RealtimeConnection",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailable",
    "StreamChunk",
    "Timeout",
    "Unauthorized",
    "UnsupportedModel",
    "ValidationFailed",
    "WebhookVerificationError",
    "construct_event",
    "sign_payload",
    "verify_signature",
    "verify_standard_signature",
]
