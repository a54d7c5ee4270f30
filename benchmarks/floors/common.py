"""What the floors share: the JSON body of ``GET /v1/generate/{id}`` and a
uvicorn runner with the same settings as ``harvest serve``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

import uvicorn

from models.base import isoformat


def generation_body(
    row: Mapping[str, Any], versions: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The same JSON the shim answers for one generation."""
    failed = row["status"] == "failed" and row["error_code"]
    return {
        "generation": {
            "id": row["id"],
            "format": row["format"],
            "status": row["status"],
            "title": row["title"],
            "content": row["content"],
            "word_count": row["word_count"],
            "tokens_used": row["tokens_used"],
            "model": row["model"],
            "input": row["input"],
            "options": row["options"],
            "metadata": row["meta"],
            "error": (
                {"code": row["error_code"], "message": row["error_message"] or ""}
                if failed
                else None
            ),
            "team_id": row["team_id"],
            "created_at": isoformat(row["created_at"]),
            "completed_at": isoformat(row["completed_at"]),
            "processing_time_ms": row["processing_time_ms"],
            "versions": [
                {
                    "version": v["version"],
                    "source": v["source"],
                    "created_at": isoformat(v["created_at"]),
                    "content": v["content"],
                }
                for v in versions
            ],
        }
    }


def port_argument() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="")
    return parser.parse_args()


def serve(app: Any, port: int, **options: Any) -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,  # as harvest serve by default
        **options,
    )
