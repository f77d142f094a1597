"""Text taken from certificates and the network, made safe to print.

A certificate's subject is written by whoever made the certificate: it can hold ANSI escapes that
repaint a terminal, control characters, or ten thousand characters. What we print must stay readable
and must not be able to fake our own output.
"""

from __future__ import annotations

import html
import unicodedata


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, "…" ending one cut short: the one way every line and name we print is cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def printable(text: str, limit: int = 200, keep: str = "\t") -> str:
    """Control characters shown as escapes (``\\x1b``), and at most `limit` characters with an ellipsis.

    `keep` names the control characters our own text uses (a newline between a message and its fix).
    """
    if text.isascii() and text.isprintable():
        # Nothing to escape, and the common case: a report of 504 pods shows some 25,000 names and
        # reasons, and asking unicodedata about each character was its costliest Python (issue 24.4).
        return shorten(text, limit)
    out = []
    for ch in text:
        if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return shorten("".join(out), limit)


def html_text(text: str, limit: int = 500) -> str:
    """`printable`, then escaped for an HTML page: what every string from the network or a file is in a report."""
    return html.escape(printable(text, limit))
