"""``cancel_safe``: the caller's cancellation always wins over a command that
would swallow it."""

from __future__ import annotations

import asyncio
import contextlib
import gc

import pytest

from subscriptions.redis_backend import cancel_safe


async def swallowing_command(started: asyncio.Event, finished: asyncio.Event) -> str:
    """A command that, like redis-py's on a bad moment, eats a cancellation."""
    started.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(0.2)
    finished.set()
    return "answer"


async def test_a_swallowed_cancel_still_cancels_the_caller() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def caller() -> str:
        return await cancel_safe(swallowing_command(started, finished))

    task = asyncio.create_task(caller())
    await started.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    # The abandoned command ran to its end on its own, its answer dropped.
    await asyncio.wait_for(finished.wait(), 1)


async def test_the_bare_command_loses_the_cancel() -> None:
    """The control: awaited directly, the same command returns normally."""
    started, finished = asyncio.Event(), asyncio.Event()

    async def caller() -> str:
        return await swallowing_command(started, finished)

    task = asyncio.create_task(caller())
    await started.wait()
    task.cancel()

    assert await asyncio.wait_for(task, 1) == "answer"


async def test_an_abandoned_command_error_is_not_reported_as_unretrieved() -> None:
    async def failing() -> None:
        await asyncio.sleep(0.05)
        raise ConnectionError("reset")

    async def caller() -> None:
        await cancel_safe(failing())

    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        task = asyncio.create_task(caller())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.1)
        gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert reported == []
