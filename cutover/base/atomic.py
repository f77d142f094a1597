"""Files that appear complete or not at all: written under a temporary name in their final folder, then renamed.

A scheduled run can be stopped at any moment: a CI job's timeout sends SIGTERM, the OOM killer sends
SIGKILL. Whoever reads the reports folder (a person, a dashboard, the next run) must never find half a
report under a final name, and ``os.replace`` within one folder is atomic on POSIX. The temporary
name starts with a dot and carries the writer's PID, so a listing of ``cutover-*`` never shows it and
`sweep` can tell a killed writer's leftovers from a running writer's work.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

SUFFIX = ".partial"
_PARTIAL = re.compile(r"^\.(?P<final>.+)\.(?P<pid>\d+)" + re.escape(SUFFIX) + "$")


def partial_name(final: Path) -> Path:
    """Where `final` is written until it is complete: same folder, so the rename cannot cross devices."""
    return final.with_name(f".{final.name}.{os.getpid()}{SUFFIX}")


def write_text(final: Path, text: str) -> None:
    """Write `text` to `final` so that `final` is either its old self or all of `text`, never a part."""
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(final)
    try:
        with partial.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)


def publish(partial: Path, final: Path) -> bool:
    """Give a file another program finished writing its final name; False when it never wrote one.

    The data is flushed to disk first, so a power cut after the rename cannot leave an empty file
    under the final name (ext4 and xfs may otherwise order the rename before the data).
    """
    try:
        fd = os.open(partial, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, final)
    _fsync_dir(final.parent)
    return True


def sweep(folder: Path) -> list[Path]:
    """Remove the temporary files of writers that are gone (killed runs); return what was removed."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            m = _PARTIAL.match(path.name)
            if m is None or _alive(int(m["pid"])):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process holds that PID: not ours to judge
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; some filesystems do not allow it, which costs only durability."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
