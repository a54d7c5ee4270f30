"""The loopback OpenAI-compatible model server of the tests, as a process of
its own: ``python -m benchmarks.peer --port P [--silent-seconds S]``.

``--silent-seconds`` sets how long the ``peer-stall`` model stays silent
after its second chunk (the keep-alive check of benchmark 5).
"""

from __future__ import annotations

import argparse
import signal
import threading

from tests.peers import openai_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--silent-seconds", type=float, default=None)
    args = parser.parse_args()
    if args.silent_seconds is not None:
        openai_server.SLOW_SECONDS = args.silent_seconds
    peer = openai_server.OpenAIPeer()
    peer.port = args.port
    peer.url = f"http://127.0.0.1:{args.port}/v1"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    peer.start()
    try:
        while not stop.wait(5):
            peer.requests.clear()  # a long run must not grow the peer's memory
    finally:
        peer.stop()


if __name__ == "__main__":
    main()
