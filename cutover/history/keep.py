"""A history folder of its own: a copy of each run's JSON evidence, pruned to the last runs of each series.

A nightly CI job starts from a fresh checkout: what it remembers is a folder it restores before the run and saves
after (a cache, the last pipeline's artifacts, the last build's). The reports folder holds HTML, JUnit XML and the
certificates the fix plan imports, megabytes a night; the history needs the JSON evidence alone, and not forever:
`--history-dir` names such a folder, each run copies its evidence there, and the folder keeps the last
`--history-keep` runs of the run's series, the newest by the start written in each file (a restored folder's files
all share one modification time). Other series' files, and files that are not cutover's, are never touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cutover.base import atomic
from cutover.history.runs import heads


def keep(folder: Path, evidence: Path, series: str, last: int) -> list[Path]:
    """Copy `evidence` into `folder` (whole or not at all), then remove the runs of `series` beyond the `last`
    newest; returns the files removed."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / evidence.name
    if copy.resolve() != evidence.resolve():
        partial = atomic.partial_name(copy)
        try:
            shutil.copyfile(evidence, partial)
            atomic.publish(partial, copy)
        finally:
            partial.unlink(missing_ok=True)
    mine = sorted((h for h in heads(folder) if h.kind.series == series), key=lambda h: h.started, reverse=True)
    gone = [h.path for h in mine[max(last, 1):]]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
