"""Fingerprints as the reports state them: upper-case hex SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`, upper-case hex: the form keytool -list -v and the reports print."""
    return hashlib.sha256(data).hexdigest().upper()


def sha256_of(path: Path) -> str:
    """A file's fingerprint as the report states it; a file gone since it was read says so, not a traceback."""
    try:
        return sha256_hex(Path(path).read_bytes())
    except OSError:
        return "unreadable"
