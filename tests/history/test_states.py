"""The lifecycle section's writer and reader in one module: what this run compares is what the next run reads."""

from __future__ import annotations

import datetime as dt

from cutover.base.certs import CertInfo
from cutover.config import Client
from cutover.evidence import ClientEvidence, Evidence
from cutover.gates.lifecycle import decide, leaves_of
from cutover.history.states import HistoryError, PodState, lifecycle_json, states
from cutover.sandbox import pki
from tests.gates.test_lifecycle import NOW, _pod


def _evidence(staging_leaf, production_leaf):  # type: ignore[no-untyped-def]
    pod, trust = _pod(("127.20.11.1",), ("127.10.11.1",), staging_leaf, production_leaf, production_ok=False)
    client = ClientEvidence(Client("default", None, "", None, (), ("us2",)), None, None, None, None,
                            {"us2/acme": trust})
    ev = Evidence({"us2/acme": pod}, {"default": client}, {}, 0.1)
    staging, production = leaves_of(pod)
    return ev, {"us2/acme": decide(staging, production, [CertInfo.from_cert(production_leaf.cert).sha256], now=NOW)}


def test_a_state_written_reads_back_as_the_same_state() -> None:
    new = pki.make_leaf(["acme.fa.us2.oraclecloud.com"], pki.make_intermediate("Test Issuing CA", pki.make_root("R")))
    ev, phases = _evidence(new, new)  # production serves the bundle's new certificate: cut over
    [(tid, state)] = states(ev, phases).items()
    assert state.phase == "cut over" and state.cut_over_since == NOW
    assert state.trust == {"default": {"staging": {"127.20.11.1": True}, "production": {"127.10.11.1": False}}}
    assert state.leaves["production"]["127.10.11.1"] is not None
    assert PodState.from_json(state.to_json()) == state
    assert lifecycle_json(states(ev, phases)) == {tid: state.to_json()}
    assert state.previous(NOW + dt.timedelta(days=1)).production_leaves == {
        CertInfo.from_cert(new.cert).sha256}


def test_a_malformed_entry_is_named_not_a_traceback() -> None:
    for doc, says in (({"why": "no phase"}, "without a phase"),
                      ({"phase": "staged", "cut_over_since": "yesterday"}, "malformed lifecycle entry")):
        try:
            PodState.from_json(doc)
        except HistoryError as e:
            assert says in str(e)
        else:
            raise AssertionError(f"{doc} was read")
