"""What every benchmark shares: processes pinned to a core, interleaved rounds,
the figures a row reports, the table and the JSON.

The server under test (Harvest or a floor) runs alone on core 0; this
process, which generates the load, runs on core 1. Every figure is compared
with a floor measured in the same run: floor and subject alternate, round
after round, and a row reports the median of the round medians.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
SERVER_CORE = 0
LOAD_CORE = 1
HOST = "127.0.0.1"


def pin_load_generator() -> None:
    """Keep this process (the load generator) off the server's core."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {LOAD_CORE})


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process so far: from schedstat (nanoseconds, all its
    threads' time on a CPU) where the kernel has it, else user plus system
    time in clock ticks."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        total = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _die_with_parent() -> None:
    """In the child before exec: end when the benchmark process ends, so a
    crashed run leaves no server behind (Linux)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(
            1, signal.SIGTERM
        )  # SET_PDEATHSIG


class Process:
    """A server program started on the server core, stopped on exit."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        health: str | None = None,
        log: Path | None = None,
        core: int = SERVER_CORE,
        program: str | None = None,
    ) -> None:
        pin = ["taskset", "-c", str(core)] if (os.cpu_count() or 1) > 1 else []
        self.args = [*pin, program or sys.executable, *args]
        self.wrapped = program is not None  # py-spy: stop its child, not it
        self.env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
        self.health = health
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self, timeout: float = 60) -> Process:
        stderr = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.popen = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_die_with_parent,
        )
        if self.health:
            self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.popen is not None and self.health is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.args[-1]} exited: see {self.log}")
            try:
                if httpx.get(self.health, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.health} did not answer in {timeout} s")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        if self.wrapped:
            # py-spy writes its profile once the program it runs has exited.
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
            for child in children.read_text().split():
                os.kill(int(child), signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(30)
            return
        self.popen.terminate()
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def __enter__(self) -> Process:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


FAILURE_KEYS = ("errors", "refused", "incomplete")


@dataclass
class Row:
    """One line of the table: a subject against its floor, and the target."""

    number: int
    name: str
    backend: str
    unit: str
    subject: float
    floor: float
    value: float
    target: float
    op: str  # ">=" or "<=": how ``value`` must compare with ``target``
    measure: str  # what ``value`` is: "ratio", "added" or "absolute"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> dict[str, float]:
        """Requests or streams that failed while this row was measured."""
        return {
            key: self.details[key]
            for key in FAILURE_KEYS
            if (self.details.get(key) or 0) > 0
        }

    @property
    def met(self) -> bool:
        if self.value != self.value or self.failures:  # nothing measured, or
            return False  # measured on failed requests
        if self.op == ">=":
            return self.value >= self.target
        return self.value <= self.target


def ratio_row(
    number: int,
    name: str,
    backend: str,
    unit: str,
    subject: float,
    floor: float,
    *,
    op: str,
    target: float,
    **details: Any,
) -> Row:
    value = subject / floor if floor else float("nan")
    return Row(
        number, name, backend, unit, subject, floor, value, target, op, "ratio", details
    )


def added_row(
    number: int,
    name: str,
    backend: str,
    unit: str,
    subject: float,
    floor: float,
    *,
    target: float,
    **details: Any,
) -> Row:
    return Row(
        number,
        name,
        backend,
        unit,
        subject,
        floor,
        subject - floor,
        target,
        "<=",
        "added",
        details,
    )


def absolute_row(
    number: int,
    name: str,
    backend: str,
    unit: str,
    value: float,
    floor: float,
    *,
    op: str,
    target: float,
    **details: Any,
) -> Row:
    return Row(
        number,
        name,
        backend,
        unit,
        value,
        floor,
        value,
        target,
        op,
        "absolute",
        details,
    )


@dataclass
class Plan:
    """How long and how often: the full run, or the quick one (CI's smoke)."""

    quick: bool
    rounds: int
    seconds: float  # one load phase of one side of one round
    warm: bool = True  # one uncounted pass of each side first

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(quick=True, rounds=1, seconds=0.6)
        return cls(quick=False, rounds=3, seconds=4.0)

    @classmethod
    def smoke(cls) -> Plan:
        """The quick sizes, once, with no warm-up: CI's smoke pass."""
        return cls(quick=True, rounds=1, seconds=0.3, warm=False)

    def pick(self, quick: Any, full: Any) -> Any:
        return quick if self.quick else full


Measure = Callable[[], Awaitable[dict[str, float]]]


async def interleave(
    plan: Plan, floor: Measure, subject: Measure
) -> tuple[dict[str, float], dict[str, float], list[dict[str, Any]]]:
    """Floor, subject, floor, subject...; each side's figures are the medians
    of its round figures. Returns (floor, subject, rounds). One pass of each
    side first warms them up and is not counted."""
    if plan.warm:
        await floor()
        await subject()
    rounds: list[dict[str, Any]] = []
    for _ in range(plan.rounds):
        rounds.append({"floor": await floor(), "subject": await subject()})
    return (
        _medians(r["floor"] for r in rounds),
        _medians(r["subject"] for r in rounds),
        rounds,
    )


def _medians(figures: Any) -> dict[str, float]:
    collected: dict[str, list[float]] = {}
    for one in figures:
        for key, value in one.items():
            collected.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in collected.items()}


def machine() -> dict[str, Any]:
    lscpu = ""
    with contextlib.suppress(OSError):
        lscpu = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout
    return {
        "nproc": os.cpu_count(),
        "lscpu": lscpu.splitlines()[:10],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def format_figure(value: float, unit: str) -> str:
    if value != value:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}".strip()
    if abs(value) >= 10:
        return f"{value:.1f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def table(rows: Sequence[Row]) -> str:
    """A Markdown table of the rows (the README shows the latest one)."""
    head = (
        "| # | benchmark | backend | subject | floor | ratio / added | target "
        "| met | failed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    lines = [head]
    for row in rows:
        if row.measure == "ratio":
            value = f"{row.value:.2f}x" if row.value == row.value else "-"
            target = f"{row.op} {row.target:g}x"
        elif row.measure == "added":
            value = "+" + format_figure(row.value, row.unit)
            target = f"{row.op} {row.target:g} {row.unit}"
        else:
            value = format_figure(row.value, row.unit)
            target = f"{row.op} {row.target:g} {row.unit}"
        lines.append(
            f"| {row.number} | {row.name} | {row.backend} "
            f"| {format_figure(row.subject, row.unit)} "
            f"| {format_figure(row.floor, row.unit)} | {value} | {target} "
            f"| {'yes' if row.met else 'NO'} "
            f"| {', '.join(f'{k} {v:g}' for k, v in row.failures.items())} |"
        )
    return "\n".join(lines)


def write_results(rows: Sequence[Row], *, quick: bool, started: float) -> Path:
    """Write the run as JSON under benchmarks/results/; its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    path = RESULTS_DIR / f"{stamp}{'-quick' if quick else ''}.json"
    document = {
        "started": stamp,
        "seconds": round(time.time() - started, 1),
        "quick": quick,
        "machine": machine(),
        "rows": [{**asdict(row), "met": row.met} for row in rows],
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


def run_async(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]
