"""Where a key sits in the datacenters file, by line: what a warning about a data centre or a pod points at.

tomllib gives values, not positions; a person fixing a warning opens the file at a line. The file is read
again as text and searched the way a person would: the ``[datacenters.<code>]`` header, then, below it, the
first line that holds the pod's entry (its name, hostname or URL in quotes). 0 when not found (a key written
in an inline table elsewhere): the warning still names the file.
"""

from __future__ import annotations

import re
from pathlib import Path


class Lines:
    """The lines of one datacenters file (1-based), searched for tables and the entries under them."""

    def __init__(self, path: Path) -> None:
        try:
            self.lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            self.lines = []

    def table(self, code: str) -> int:
        """The line of ``[datacenters.<code>]`` (quoted or not), else of a ``datacenters.<code>`` key; 0 if neither."""
        header = re.compile(rf"""^\s*\[\s*datacenters\s*\.\s*["']?{re.escape(code)}["']?\s*\]""")
        dotted = re.compile(rf"""^\s*datacenters\s*\.\s*["']?{re.escape(code)}["']?\s*[.=]""")
        for pattern in (header, dotted):
            found = next((i for i, line in enumerate(self.lines, 1) if pattern.search(line)), 0)
            if found:
                return found
        return 0

    def entry(self, code: str, *texts: str) -> int:
        """The first line at or below the data centre's table that holds one of `texts` in quotes (``"abcd"``),
        else one that holds it inside a quoted value (a URL around a hostname); else the table's line."""
        start = self.table(code)
        below = list(enumerate(self.lines, 1))[max(start - 1, 0):]
        for text in texts:
            found = next((i for i, line in below if f'"{text}"' in line or f"'{text}'" in line), 0)
            if found:
                return found
        for text in texts:
            found = next((i for i, line in below if text in line and ('"' in line or "'" in line)), 0)
            if found:
                return found
        return start
