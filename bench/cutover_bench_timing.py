"""A pytest plugin for `make bench` only: where a run of the gates spends its wall time.

Loaded with ``-p cutover_bench_timing`` (bench/ on PYTHONPATH) in the bench's profile runs, never by
the suite itself. It writes ``time.monotonic()`` marks to the JSON file named by
``CUTOVER_BENCH_MARKS``; on Linux that clock is CLOCK_MONOTONIC, the same in every process, so the
bench can put them on one line with the moment it launched the run and the moment the run exited.

Inside the evidence gathering it wraps the module globals that `cutover.evidence.gather` calls
(resolve_staging, fetch_chain, ProbeRun) to see when DNS, the handshakes and the JVM were busy. Each
wrapper is skipped when the name is not there, so a reshaped library loses a line of the
breakdown, never the run.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

MARKS: dict[str, float] = {"plugin_imported": time.monotonic()}
CPU: dict[str, float] = {"plugin_imported": time.process_time()}  # this process's CPU seconds, all threads
SPANS: dict[str, list[tuple[float, float]]] = {"dns": [], "tls": [], "jvm_chain": []}


def _mark(name: str) -> None:
    if name not in MARKS:
        MARKS[name] = time.monotonic()
        CPU[name] = time.process_time()


def _spanned(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            SPANS[kind].append((start, time.monotonic()))  # list.append is atomic: safe from pool threads

    return timed


def _spanned_async(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`_spanned` for a coroutine function: the span is from its call to its return."""
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return await fn(*args, **kwargs)
        finally:
            SPANS[kind].append((start, time.monotonic()))

    return timed


def _counted(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Count the calls that returned something (a span of no length, at the moment it returned)."""
    def counted(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        if result is not None:
            now = time.monotonic()
            SPANS[kind].append((now, now))
        return result

    return counted


def _instrument() -> None:
    """Wrap what the gathering calls, in the run's own process; each name only if it is still there."""
    ev = sys.modules.get("cutover.evidence")
    if ev is None:
        return
    if callable(getattr(ev, "resolve_staging_async", None)):  # one event loop for every look-up
        ev.resolve_staging_async = _spanned_async("dns", ev.resolve_staging_async)
    elif callable(getattr(ev, "resolve_staging", None)):  # a thread per pod, in older trees
        ev.resolve_staging = _spanned("dns", ev.resolve_staging)
    # Python's fetch and the chain built from the JVM's handshake are called where the chain of an address is
    # decided: cutover.judge.presented (chain_future), or the gathering itself in older trees.
    for where in (ev, sys.modules.get("cutover.judge.presented")):
        if where is None:
            continue
        if callable(getattr(where, "fetch_chain", None)):
            where.fetch_chain = _spanned("tls", where.fetch_chain)
        if callable(getattr(where, "chain_fetch", None)):  # a chain built from the JVM's handshake: no Python one
            where.chain_fetch = _counted("jvm_chain", where.chain_fetch)
    probe = getattr(ev, "ProbeRun", None)
    if probe is None:
        return
    base: Any = probe

    class TimedProbeRun(probe):  # type: ignore[misc, valid-type]
        """The JVM's life: first started, first up (its first line), last job handed over, last exited."""

        def start(self) -> Any:
            _mark("jvm_start")
            return super().start()

        @staticmethod
        def _drain(stream: Any, into: Callable[[str], None], ended: Callable[[], None] = lambda: None) -> None:
            def seen(line: str) -> None:
                if '"type":"jvm"' in line:
                    _mark("jvm_first_line")
                into(line)

            base._drain(stream, seen, ended)

        def submit(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().submit(*args, **kwargs)
            finally:
                MARKS["jvm_last_submit"] = time.monotonic()

        def finish(self, *args: Any, **kwargs: Any) -> Any:
            _mark("jvm_finish_called")
            try:
                return super().finish(*args, **kwargs)
            finally:
                MARKS["jvm_exited"] = time.monotonic()  # the last one, where a run starts several JVMs
                used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the JVMs are this process's only children
                CPU["jvm"] = used.ru_utime + used.ru_stime

    ev.ProbeRun = TimedProbeRun


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests() -> Iterator[None]:
    _mark("conftest_start")
    try:
        return (yield)
    finally:
        _mark("conftest_end")


@pytest.hookimpl(wrapper=True)  # pytest_configure is historic and cannot be wrapped: it ends where this starts
def pytest_sessionstart() -> Iterator[None]:
    _mark("sessionstart_start")
    try:
        return (yield)
    finally:
        _mark("sessionstart_end")


@pytest.hookimpl(wrapper=True)
def pytest_collection() -> Iterator[None]:
    _mark("collection_start")
    try:
        return (yield)
    finally:
        _mark("collection_end")
        _instrument()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Iterator[None]:
    if fixturedef.argname != "evidence":
        return (yield)
    _mark("evidence_start")
    try:
        return (yield)
    finally:
        _mark("evidence_end")


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop() -> Iterator[None]:
    _mark("tests_start")
    try:
        return (yield)
    finally:
        _mark("tests_end")


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish() -> Iterator[None]:
    _mark("sessionfinish_start")
    try:
        return (yield)
    finally:
        _mark("sessionfinish_end")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure() -> None:
    _mark("unconfigure_end")
    path = os.environ.get("CUTOVER_BENCH_MARKS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"marks": MARKS, "cpu": CPU, "spans": SPANS}, f)
