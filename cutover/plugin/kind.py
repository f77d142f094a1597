"""How a gate run departs from a full run, from its command line and what it collected: the facts
`cutover.history.runkind.decide` makes the run's kind of (in the closing record), so that only a full run
becomes the next run's baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cutover.config import Config, DataCenter
from cutover.gates import registry


def departures(pytest_config: pytest.Config, config: Config, collected: int, ran: int) -> list[tuple[str, str]]:
    """(kind, the words of the command line that made it) for every way this run is not a full run.

    A subset is named by its options (``--dc``, ``--pod``, ``--client``, ``-k``, ``-m``, ``--deselect``); any other
    narrowing (a gate id as a test path, ``--lf``) shows as fewer gate tests collected than the file makes, and a
    run that ended before its last test (``-x``, ``--maxfail``) as fewer that `ran` than were collected.
    """
    opt = pytest_config.getoption
    out: list[tuple[str, str]] = []
    if opt("prepare_run", False) or opt("store_diff", None):
        out.append(("prepare", "python -m cutover prepare"))
    if config.at is not None:
        out.append(("what-if", f"--at {opt('at')}"))
    for name, words in (("truststore", "--truststore"), ("java_home", "--java-home")):
        if opt(name, None):
            out.append(("override", f"{words} {opt(name)}"))
    out += [("override", f"--java-option {o}") for o in opt("java_option", None) or ()]
    for name, words in (("dc", "--dc"), ("pod", "--pod"), ("client", "--client"), ("deselect", "--deselect")):
        out += [("subset", f"{words} {v}") for v in opt(name, None) or ()]
    for name, words in (("keyword", "-k"), ("markexpr", "-m")):
        if opt(name, None):
            out.append(("subset", f"{words} {opt(name)}"))
    expected = full_count(config)
    if collected < expected and not any(k == "subset" for k, _ in out):
        out.append(("subset", f"{collected} of the file's {expected} gate tests collected"))
    if ran < collected:
        out.append(("subset", f"{collected - ran} of the {collected} gate tests collected did not run"))
    return out


def full_count(config: Config) -> int:
    """How many gate tests a run of the whole file collects (as `GateRun.pytest_generate_tests` parametrizes)."""
    def items(per: str, dcs: Sequence[DataCenter]) -> int:
        return sum(len(dc.targets) for dc in dcs) if per == "pod" else len(dcs)

    return sum(sum(items(g.per, config.client_datacenters(c)) for c in config.clients) if g.per_client
               else items(g.per, config.datacenters) for g in registry.GATES)
