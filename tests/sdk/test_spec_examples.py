"""The spec's SDK examples, pasted as they are with only the base URL changed,
run against a local server.

The examples name the model ``gpt-4`` and the key ``hv_abc123...``: the server
here serves ``gpt-4`` from the OpenAI peer, and that very key is registered
to a user, so nothing else in the pasted text has to change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support
from tests.peers.openai_server import ANSWER
from tests.sdk.conftest import PYTHON_SDK, ROOT
from tests.sdk.helpers import (
    NODE,
    TYPESCRIPT_SDK,
    Account,
    api_url,
    needs_node,
    new_account,
    register_api_key,
)

SPEC = ROOT.parent / "shared" / "spec" / "harvest-api.md"
SPEC_BASE_URL = "https://api.harvest.ai/v1"
PLACEHOLDER_KEY = "hv_abc123..."
TYPESCRIPT_EXAMPLE = TYPESCRIPT_SDK / "examples" / "spec-example.ts"
PYTHON_EXAMPLE = """\
from harvest_ai import HarvestClient

client = HarvestClient(
    api_key='hv_abc123...',
    base_url='https://api.harvest.ai/v1'
)

# Generate content
generation = client.generate(
    format='blog',
    input='The future of AI...',
    options={
        'model': 'gpt-4',
        'tone': 'professional'
    }
)

# Stream generation
for chunk in client.generate_stream(
    format='blog',
    input='The future of AI...'
):
    print(chunk.text, end='')
"""


def _spec_block(heading: str, language: str) -> str:
    text = SPEC.read_text(encoding="utf-8")
    start = text.index(f"### {heading}\n")
    opening = f"```{language}\n"
    begin = text.index(opening, start) + len(opening)
    return text[begin : text.index("```", begin)]


def _pasted(example: str, server: support.LiveServer) -> str:
    assert example.count(SPEC_BASE_URL) == 1
    return example.replace(SPEC_BASE_URL, api_url(server))


@pytest.fixture(scope="session")
def example_account(shared_peer_server: support.LiveServer) -> Account:
    """The user whose API key is the examples' ``hv_abc123...``."""
    account = new_account(shared_peer_server, name="Spec Reader")
    register_api_key(shared_peer_server, user_id=account.id, secret=PLACEHOLDER_KEY)
    return account


def _assert_two_gpt4_blogs(account: Account, before: int) -> None:
    history = account.client.list_history(limit=100)
    made = history.generations[: history.pagination.total_items - before]
    assert len(made) == 2
    assert {(g.format, g.model) for g in made} == {("blog", "gpt-4")}


@pytest.mark.skipif(not SPEC.exists(), reason="the spec is not beside the repository")
def test_the_examples_run_here_are_the_specs_word_for_word() -> None:
    assert _spec_block("Python", "python") == PYTHON_EXAMPLE
    typescript = TYPESCRIPT_EXAMPLE.read_text(encoding="utf-8")
    assert _spec_block("JavaScript/TypeScript", "typescript") == typescript


def test_the_specs_python_example_runs_against_a_local_server(
    shared_peer_server: support.LiveServer, example_account: Account
) -> None:
    before = example_account.client.list_history().pagination.total_items

    result = subprocess.run(
        [sys.executable, "-c", _pasted(PYTHON_EXAMPLE, shared_peer_server)],
        env={**os.environ, "PYTHONPATH": str(PYTHON_SDK)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ANSWER
    _assert_two_gpt4_blogs(example_account, before)


@needs_node
def test_the_specs_typescript_example_runs_against_a_local_server(
    typescript_build: Path,
    shared_peer_server: support.LiveServer,
    example_account: Account,
    tmp_path: Path,
) -> None:
    assert NODE is not None
    package = tmp_path / "node_modules" / "@harvest-ai" / "sdk"
    package.parent.mkdir(parents=True)
    package.symlink_to(typescript_build, target_is_directory=True)
    # The example has no type annotations, so its text runs as a JS module
    # too; `npm run build` type-checks the same file against the SDK.
    script = tmp_path / "example.mjs"
    script.write_text(
        _pasted(TYPESCRIPT_EXAMPLE.read_text(encoding="utf-8"), shared_peer_server)
    )
    before = example_account.client.list_history().pagination.total_items

    result = subprocess.run(
        [NODE, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.replace("\n", "") == ANSWER
    assert result.stdout.count("\n") > 3
    _assert_two_gpt4_blogs(example_account, before)
