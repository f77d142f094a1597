"""Where the matrix is a table and where a card per pod: decided by the width its table needs, not by eye.

tests/outputs/test_report.py checks in Chromium that every verdict is in sight at 390 and 1280 px; this is the
decision it rests on, without a browser.
"""

from __future__ import annotations

import pytest

from cutover.gates.registry import CLIENT_GATES, GATES
from cutover.outputs.matrix import CARDS_CSS, cards_below


@pytest.mark.parametrize("clients", [1, 2, 3])
@pytest.mark.parametrize("with_sr", [False, True])
def test_a_phone_gets_cards_and_a_desktop_the_table(clients: int, with_sr: bool) -> None:
    columns = len(GATES) if clients == 1 else len(GATES) - len(CLIENT_GATES) + clients * len(CLIENT_GATES)
    width = cards_below(columns, with_sr)
    assert 390 < width <= 1280, (clients, with_sr, width)


def test_more_columns_turn_into_cards_sooner() -> None:
    assert cards_below(5, False) < cards_below(5, True) < cards_below(8, True) < cards_below(11, True)


def test_the_cards_hide_no_verdict() -> None:
    """The card rules show what the table hides (a data centre's verdicts again in each pod's card) and hide only
    the table's header and the repeated data centre heading."""
    hidden = [rule.split("{")[0].strip() for rule in CARDS_CSS.split("}") if "display: none" in rule]
    assert hidden == ["#cutover-matrix thead", "#cutover-matrix th.cutover-dc-again"], hidden
    assert "#cutover-matrix td.cutover-again { display: flex; }" in CARDS_CSS
