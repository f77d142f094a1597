"""The fix plan of clients that trust several files together (WebLogic's Demo trust): the list's FIRST file is the
one a person changes, so what no file holds is imported there; a pinned provider leaf is deleted from the file that
holds it; a file shared by several clients still gets one plan.

On the in-memory model of `tests.gates.test_storeplan` (aliases -> certificates), with the real planner and the real
store gates; nothing is started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cutover.base.certs import CertInfo
from cutover.config import Config
from cutover.evidence import ClientEvidence, Evidence
from cutover.gates import fixplan, storeplan
from cutover.gates.aliases_present import aliases_present
from cutover.gates.no_lb_cert import no_lb_cert
from cutover.stores.truststore import merged
from tests.gates.test_storeplan import PW, World, anchors, apply, cert, contents, run_of, store_failures

DEMO = "/stores/DemoTrust.jks"


def union_run(world: World, stores: Mapping[str, Mapping[str, CertInfo]],
              lists: Mapping[int, tuple[str, ...]]) -> tuple[Config, Evidence]:
    """`run_of`, with client i trusting the files `lists[i]` together (its own file alone when not listed)."""
    config, evidence = run_of(world, {**{world.store_of(i): {} for i in range(len(world.clients))}, **stores})
    clients = tuple(replace(c, truststore=Path(lists[i][0]), union=tuple(map(Path, lists[i][1:])))
                    if i in lists else c for i, c in enumerate(config.clients))
    config = replace(config, clients=clients)
    parts = {c.name: [contents(str(f), stores[str(f)]) for f in c.store_files] for c in clients}
    evidence = replace(evidence, clients={c.name: ClientEvidence(c, merged(parts[c.name]) if c.union else
                                                                 parts[c.name][0], None, None, None) for c in clients})
    return config, evidence


def one_client() -> World:
    """One client of two data centres, each with a root of its own (so that one can be missing alone)."""
    return World(("us2", "em3"), per_dc_roots=True, rotated_root=False, shared_store=False, clients=(("us2", "em3"),))


def test_a_root_only_the_second_file_holds_passes_naming_the_file() -> None:
    world = one_client()
    stores = world.good_stores()
    mine = stores["/stores/client0.jks"]
    stores[DEMO] = {"oracle-us2-root": mine.pop("oracle-us2-root"), "oracle-em3-root": mine.pop("oracle-em3-root")}
    config, evidence = union_run(world, stores, {0: ("/stores/client0.jks", DEMO)})
    assert store_failures(config, evidence) == []
    [plan] = storeplan.plans(config, evidence).values()
    assert plan.actions == ()
    ce = evidence.clients["c0"]
    verdict = aliases_present(config.datacenters[0], ce.store, evidence.bundles["us2"], None, plan)
    assert verdict.ok and f"root under 'oracle-us2-root' in {DEMO} and intermediate under " \
        "'oracle-us2-intermediate' in /stores/client0.jks match" in verdict.message, verdict.message
    # Judged on its first file alone, the same client would have failed: the union is what passes it.
    alone, _ = run_of(world, stores)
    assert storeplan.plans(alone, run_of(world, stores)[1])["c0"].actions != ()


def first_file_lacks_us2_root(demo: Mapping[str, CertInfo]) -> tuple[Config, Evidence]:
    """One client trusting its own file, which lacks us2's root, and DemoTrust.jks holding `demo`."""
    world = one_client()
    stores = world.good_stores()
    del stores["/stores/client0.jks"]["oracle-us2-root"]
    stores[DEMO] = dict(demo)
    return union_run(world, stores, {0: ("/stores/client0.jks", DEMO)})


def test_a_root_in_no_file_is_imported_into_the_first() -> None:
    config, evidence = first_file_lacks_us2_root({"someone": cert("Someone Root", "Someone Root", ca=True)})
    [step] = fixplan.plan(store_failures(config, evidence))
    assert (step.action.kind, step.action.store, step.action.alias) == ("import", "/stores/client0.jks",
                                                                          "oracle-us2-root")
    [failure] = store_failures(config, evidence)
    assert "is not in the truststore (in none of its files)" in failure.message
    assert "Import it into /stores/client0.jks (the first file of the client's list: the one you change)" in \
        failure.message


def test_a_wrong_certificate_in_the_second_file_is_left_and_the_first_file_gets_the_import() -> None:
    config, evidence = first_file_lacks_us2_root({"oracle-us2-root": cert("Other CA", "Other CA", ca=True)})
    [step] = fixplan.plan(store_failures(config, evidence))
    assert (step.action.kind, step.action.store) == ("import", "/stores/client0.jks")
    [failure] = store_failures(config, evidence)
    assert f"alias 'oracle-us2-root' in {DEMO} holds a different certificate" in failure.message
    assert f"the entry in {DEMO} may stay" in failure.message


def test_a_pinned_leaf_is_deleted_from_the_file_that_holds_it() -> None:
    world = one_client()
    stores = world.good_stores()
    stores[DEMO] = {"us2-lb-cert": world.leaf("us2")}
    config, evidence = union_run(world, stores, {0: ("/stores/client0.jks", DEMO)})
    [step] = fixplan.plan(store_failures(config, evidence))
    assert (step.action.kind, step.action.store, step.action.store_type, step.action.alias) == (
        "delete", DEMO, "PKCS12", "us2-lb-cert")
    verdict = no_lb_cert(config.datacenters[0], config, evidence, evidence.clients["c0"],
                         plan=storeplan.plans(config, evidence)["c0"])
    assert not verdict.ok and f"alias 'us2-lb-cert' in {DEMO} (" in verdict.message
    assert verdict.message.endswith(f"Delete it from {DEMO}.")


def test_a_file_shared_by_a_union_and_a_single_store_client_has_one_plan() -> None:
    """c1 reads the shared file alone and misses the us2 root there; c0 trusts its own file and the shared one, and
    holds that root in its own: the shared file gets c1's import (c0 needs nothing of it) and one delete of the leaf
    pinned there, which fixes both clients' no_lb_cert."""
    world = World(("us2", "em3"), per_dc_roots=True, rotated_root=False, shared_store=False,
                  clients=(("us2", "em3"), ("us2",)))
    stores = world.good_stores()
    stores[DEMO] = {**stores.pop("/stores/client1.jks"), "us2-lb-cert": world.leaf("us2")}
    del stores[DEMO]["oracle-us2-root"]
    config, evidence = union_run(world, stores, {0: ("/stores/client0.jks", DEMO), 1: (DEMO,)})
    steps = fixplan.plan(store_failures(config, evidence))
    assert sorted((s.action.kind, s.action.store, s.action.alias, len(s.fixes)) for s in steps) == [
        ("delete", DEMO, "us2-lb-cert", 2), ("import", DEMO, "oracle-us2-root", 1)]
    apply(steps, stores, {world.root("us2").sha256: world.root("us2")})
    assert store_failures(*union_run(world, stores, {0: ("/stores/client0.jks", DEMO), 1: (DEMO,)})) == []


@st.composite
def placements(draw: st.DrawFn) -> tuple[World, dict[str, dict[str, CertInfo]], list[tuple[str, int, str]]]:
    """One client trusting its own file and DemoTrust.jks: each of the provider's CAs in one, the other, both or
    neither file, under its alias or a wrong certificate, and maybe a pinned leaf in either."""
    world = one_client()
    stores = world.good_stores()
    mine = stores["/stores/client0.jks"]
    stores[DEMO] = {}
    faults = draw(st.lists(st.tuples(st.sampled_from(("move", "copy", "drop", "wrong-mine", "wrong-demo", "pin")),
                                     st.integers(0, 3), st.sampled_from(("mine", "demo"))), max_size=4))
    for kind, n, where in faults:
        dc = world.dcs[n % 2]
        alias = world.aliases(dc)[n // 2 % 2]
        target = stores[DEMO] if where == "demo" else mine
        if kind in ("move", "copy") and alias in mine:
            stores[DEMO][alias] = mine.pop(alias) if kind == "move" else mine[alias]
        elif kind == "drop":
            mine.pop(alias, None)
            stores[DEMO].pop(alias, None)
        elif kind == "wrong-mine" and alias not in stores[DEMO]:
            mine[alias] = cert(f"Other CA {n}", f"Other CA {n}", ca=True)
        elif kind == "wrong-demo":
            stores[DEMO][alias] = cert(f"Other CA {n}", f"Other CA {n}", ca=True)
        elif kind == "pin":
            target[f"{dc}-lb-cert"] = world.leaf(dc)
    return world, stores, faults


@settings(max_examples=150, deadline=None)
@given(placements())
def test_the_union_plan_converges_in_one_round_changing_only_what_it_must(
        drawn: tuple[World, dict[str, dict[str, CertInfo]], list[tuple[str, int, str]]]) -> None:
    world, stores, _ = drawn
    lists = {0: ("/stores/client0.jks", DEMO)}
    before = {p: dict(m) for p, m in stores.items()}
    config, evidence = union_run(world, stores, lists)
    steps = fixplan.plan(store_failures(config, evidence))
    apply(steps, stores, {c.sha256: c for dc in world.dcs for c in (world.root(dc), world.inter(dc))})
    assert store_failures(*union_run(world, stores, lists)) == [], "one round"
    for s in steps:
        a = s.action
        assert a.password_env == PW
        if a.kind == "import":
            assert a.store == "/stores/client0.jks", "imports go to the list's first file"
        elif a.store == DEMO:
            assert a.kind == "delete" and not before[DEMO][str(a.alias)].is_ca, "only a pinned leaf leaves DemoTrust"
    union = {**stores[DEMO], **{f"mine:{a}": c for a, c in stores["/stores/client0.jks"].items()}}
    for dc in world.dcs:
        assert anchors((world.leaf(dc), world.inter(dc)), union)
