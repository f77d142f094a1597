"""`cutover.base.text.printable`: its fast path for plain ASCII (issue 24.4) says exactly what the per-character
rule says, for any text, limit and kept characters."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from cutover.base.text import printable


def _per_character(text: str, limit: int, keep: str) -> str:
    """The rule as it was written before the fast path: each character asked of unicodedata."""
    out = [ch if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
           else ch.encode("unicode_escape").decode("ascii") for ch in text]
    s = "".join(out)
    return s if len(s) <= limit else s[: max(limit - 1, 1)] + "…"


TEXTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.text(st.characters(max_codepoint=127))


@given(TEXTS, st.integers(min_value=0, max_value=400), st.sampled_from(["\t", "\n", "\t\n", ""]))
def test_the_fast_path_says_what_the_per_character_rule_says(text: str, limit: int, keep: str) -> None:
    assert printable(text, limit, keep) == _per_character(text, limit, keep)


def test_plain_names_pass_unchanged_and_escapes_are_shown() -> None:
    assert printable("CN=acme.fa.us2.oraclecloud.com,O=Sandbox Cloud Provider,C=US") == \
        "CN=acme.fa.us2.oraclecloud.com,O=Sandbox Cloud Provider,C=US"
    assert printable("\x1b[31mOwned") == "\\x1b[31mOwned"
    assert printable("a\u200bb") == "a\\u200bb"  # a zero-width space (Cf) is not ASCII: the slow path names it
    assert printable("x" * 10, 5) == "xxxx…"
