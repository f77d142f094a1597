"""The processes a test started, read from /proc: what a run must not leave behind."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def descendants(pid: int) -> dict[int, str]:
    """Every living process under `pid` (children, their children, ...), as PID -> command name."""
    parent_of: dict[int, int] = {}
    name_of: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ")".
            comm = stat[stat.index("(") + 1: stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z":  # a zombie is gone, only not yet reaped by its parent
                continue
            parent_of[int(entry.name)], name_of[int(entry.name)] = int(fields[1]), comm
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parent_of.items():
            if ppid == parent and child not in found:
                found[child] = name_of[child]
                frontier.append(child)
    return found


def open_fds() -> set[str]:
    """This process's open file descriptors, each with what it points at."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            out.add(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
    return out
