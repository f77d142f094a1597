"""The fix plan converges on shared stores: a property test over an in-memory model of stores.

A store is modelled as aliases -> certificates. hypothesis draws 3-5 data centres, 1-2 clients (one store
shared, or each its own), the provider's PKI (one root for all or one per data centre, a rotated root or
not) and random store faults: an alias deleted, renamed to a free name or to another data centre's, last
year's certificate (or an unrelated CA) under a named alias, a pinned provider leaf, the root only under an
unnamed alias. The plan is decided by the real code, from evidence-like inputs: `storeplan.plans` over an
`Evidence`, the real gates quoting it, `fixplan.plan` merging their failures. The model only applies the
steps as keytool would (refusing a delete or rename of a missing alias, an import or rename onto a taken
one), then asks the real gates again. Hundreds of examples in a few seconds; nothing is started.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutover.base.certs import CertInfo
from cutover.config import Client, Config, DataCenter, Target
from cutover.evidence import ClientEvidence, Evidence, PodEvidence
from cutover.gates import fixplan, storeplan
from cutover.gates.aliases_present import aliases_present
from cutover.gates.fixplan import Step
from cutover.gates.no_lb_cert import no_lb_cert
from cutover.gates.outcomes import Record
from cutover.net.dns import StagingEvidence
from cutover.net.tls import ChainFetch
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents, StoreEntry

DCS = ("us2", "em3", "ap1", "ca2", "la1")
NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
PW = "CUTOVER_TRUSTSTORE_PASSWORD"


def cert(name: str, issuer: str, *, ca: bool, edition: str = "", host: str | None = None) -> CertInfo:
    der = f"{name}|{issuer}|{ca}|{edition}".encode()
    return CertInfo(der, hashlib.sha256(der).hexdigest().upper(), f"CN={name}", f"CN={issuer}", "01",
                    NOW - dt.timedelta(days=400), NOW + dt.timedelta(days=400), (host,) if host else (), ca, name)


@dataclass
class World:
    """What hypothesis drew: the provider's PKI, the configuration, and the stores as they are today."""

    dcs: tuple[str, ...]
    per_dc_roots: bool
    rotated_root: bool
    shared_store: bool
    clients: tuple[tuple[str, ...], ...]  # each client's data centres
    faults: list[tuple[str, int, int]] = field(default_factory=list)

    def host(self, dc: str) -> str:
        return f"acme.fa.{dc}.oraclecloud.com"

    def root(self, dc: str) -> CertInfo:
        name = f"Provider Root {dc if self.per_dc_roots else 'G2'}"
        return cert(name, name, ca=True)

    def old_root(self, dc: str) -> CertInfo:
        """Last year's root: the new one under another key when the root rotated, else the same."""
        if not self.rotated_root:
            return self.root(dc)
        name = self.root(dc).common_name
        return cert(str(name), str(name), ca=True, edition="2016")

    def inter(self, dc: str) -> CertInfo:
        return cert(f"Provider CA {dc}", str(self.root(dc).common_name), ca=True)

    def old_inter(self, dc: str) -> CertInfo:
        """Last year's intermediate: the same subject, another certificate, issued by last year's root."""
        return cert(f"Provider CA {dc}", str(self.old_root(dc).common_name), ca=True, edition="2026")

    def leaf(self, dc: str) -> CertInfo:
        return cert(self.host(dc), f"Provider CA {dc}", ca=False, edition="2027")

    def old_leaf(self, dc: str) -> CertInfo:
        return cert(self.host(dc), f"Provider CA {dc}", ca=False, edition="2026-leaf")

    def aliases(self, dc: str) -> tuple[str, str]:
        return f"oracle-{dc}-root", f"oracle-{dc}-intermediate"

    def store_of(self, client: int) -> str:
        return "/stores/shared.jks" if self.shared_store else f"/stores/client{client}.jks"

    def good_stores(self) -> dict[str, dict[str, CertInfo]]:
        """Each store as it is when nothing is wrong: the bundle's root and intermediate under each alias the
        data centres name, plus what other integrations keep there (a partner's CA and its pinned leaf)."""
        stores: dict[str, dict[str, CertInfo]] = {}
        for i, dcs in enumerate(self.clients):
            model = stores.setdefault(self.store_of(i), {
                "partner-sftp": cert("sftp.partner.example", "Partner CA", ca=False),
                "partner-ca": cert("Partner CA", "Partner CA", ca=True)})
            for dc in dcs:
                root_alias, inter_alias = self.aliases(dc)
                model[root_alias] = self.root(dc)
                model[inter_alias] = self.inter(dc)
        return stores


FAULTS = ("delete", "rename-free", "rename-neighbour", "last-year", "wrong-ca", "pinned-bundle-leaf",
          "pinned-production-leaf", "root-unnamed")


@st.composite
def worlds(draw: st.DrawFn) -> World:
    dcs = tuple(draw(st.permutations(DCS))[:draw(st.integers(3, 5))])
    n = draw(st.integers(1, 2))
    clients = tuple(tuple(dc for dc in dcs if draw(st.booleans()) or dc == dcs[i]) for i in range(n))
    faults = draw(st.lists(st.tuples(st.sampled_from(FAULTS), st.integers(0, 9), st.integers(0, 9)), max_size=4))
    return World(dcs, draw(st.booleans()), draw(st.booleans()), n == 1 or draw(st.booleans()), clients, faults)


def plant(world: World, stores: dict[str, dict[str, CertInfo]]) -> None:
    """The faults, each on one store and one data centre it serves, as a person with keytool would make them."""
    paths = sorted(stores)
    for kind, a, b in world.faults:
        path = paths[a % len(paths)]
        model = stores[path]
        served = [dc for i, dcs in enumerate(world.clients) if world.store_of(i) == path for dc in dcs]
        dc = served[b % len(served)]
        named = world.aliases(dc)[a % 2]
        if kind == "delete":
            model.pop(named, None)
        elif kind == "rename-free" and named in model:
            model[f"renamed-by-hand-{b}"] = model.pop(named)
        elif kind == "rename-neighbour" and named in model:
            neighbour = world.aliases(served[(b + 1) % len(served)])[(a + 1) % 2]
            if neighbour not in model:  # keytool renames onto a free alias only
                model[neighbour] = model.pop(named)
        elif kind == "last-year":
            model[named] = world.old_inter(dc) if named.endswith("intermediate") else world.old_root(dc)
        elif kind == "wrong-ca":  # a CA nothing of the provider's needs, imported under the alias by mistake
            model[named] = cert(f"Other CA {b}", f"Other CA {b}", ca=True)
        elif kind == "pinned-bundle-leaf":
            model[f"{dc}-lb-cert"] = world.leaf(dc)
        elif kind == "pinned-production-leaf":
            model[f"{dc}-prod-lb"] = world.old_leaf(dc)
        elif kind == "root-unnamed":
            root = world.root(dc)
            for alias in [x for x, c in model.items() if c == root]:
                del model[alias]
            model["my-oracle-root"] = root


def contents(path: str, model: Mapping[str, CertInfo]) -> StoreContents:
    return StoreContents(Path(path), "PKCS12", tuple(StoreEntry(a, "trustedCertEntry", c) for a, c in model.items()),
                         "jvm")


def run_of(world: World, stores: Mapping[str, Mapping[str, CertInfo]]) -> tuple[Config, Evidence]:
    """The configuration and the evidence a real run would have gathered: production serves last year's chain."""
    dcs = tuple(DataCenter(dc, dc, (Target(dc, "acme", world.host(dc), 443, None, 5.0),), Path(f"/certs/{dc}.zip"),
                           *world.aliases(dc)) for dc in world.dcs)
    clients = tuple(Client(f"c{i}", Path(world.store_of(i)), PW, None, (), codes)
                    for i, codes in enumerate(world.clients))
    config = Config(Path("/work/datacenters.toml"), dcs, clients)
    bundles = {dc: Bundle(Path(f"/certs/{dc}.zip"), world.root(dc), (world.inter(dc),), (world.leaf(dc),),
                          {world.root(dc).sha256: "root.pem", world.inter(dc).sha256: "intermediate.pem"})
               for dc in world.dcs}
    pods = {f"{dc}/acme": PodEvidence(dcs[i].targets[0], StagingEvidence(world.host(dc)), (),
                                      (ChainFetch("127.0.0.1", 443, world.host(dc),
                                                  (world.old_leaf(dc), world.old_inter(dc))),))
            for i, dc in enumerate(world.dcs)}
    evidence = Evidence(pods, {c.name: ClientEvidence(c, contents(str(c.truststore), stores[str(c.truststore)]), None,
                                                      None, None) for c in clients}, bundles, 0.0)
    return config, evidence


def store_failures(config: Config, evidence: Evidence) -> list[Record]:
    """The real store gates of every client and data centre, with the store plans a run gives them."""
    plans = storeplan.plans(config, evidence)
    records = []
    for c in config.clients:
        ce = evidence.clients[c.name]
        for dc in config.client_datacenters(c):
            for gate, verdict in (
                    ("aliases_present", aliases_present(dc, ce.store, evidence.bundles[dc.code], None, plans[c.name])),
                    ("no_lb_cert", no_lb_cert(dc, config, evidence, ce, plan=plans[c.name]))):
                if not verdict.ok:
                    records.append(Record(f"{gate}[{c.name}:{dc.code}]", gate, dc.code, "failed",
                                          verdict.message, actions=[replace(a, client=c.name) for a in verdict.actions],
                                          client=c.name))
    return records


def apply(steps: Sequence[Step], stores: dict[str, dict[str, CertInfo]], certs: Mapping[str, CertInfo]) -> None:
    """The steps as keytool runs them: it refuses to delete or rename a missing alias, or to overwrite one."""
    for s in steps:
        a = s.action
        model, alias = stores[str(a.store)], str(a.alias)
        assert a.password_env == PW, "every command reads the gates' variable"
        if a.kind == "delete":
            assert alias in model, f"keytool: alias <{alias}> does not exist"
            del model[alias]
        elif a.kind == "changealias":
            assert alias in model and a.dest_alias not in model, f"keytool refuses {alias} -> {a.dest_alias}"
            model[str(a.dest_alias)] = model.pop(alias)
        else:
            assert alias not in model, f"keytool: alias <{alias}> already exists"
            model[alias] = certs[str(a.sha256)]


def anchors(chain: Iterable[CertInfo], model: Mapping[str, CertInfo]) -> bool:
    """The JVM's view, for the model: a chain is trusted when the store holds one of its certificates or the
    issuer of one (every store entry is an anchor)."""
    held = {c.sha256 for c in model.values()} | {c.subject for c in model.values() if c.is_ca}
    return any(c.sha256 in held or c.issuer in held for c in chain)


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_the_plan_converges_in_one_round_takes_nothing_from_a_neighbour_and_breaks_nothing(world: World) -> None:
    stores = world.good_stores()
    plant(world, stores)
    before = {p: dict(m) for p, m in stores.items()}
    config, evidence = run_of(world, stores)
    steps = fixplan.plan(store_failures(config, evidence))
    certs = {c.sha256: c for dc in world.dcs for c in (world.root(dc), world.inter(dc))}
    apply(steps, stores, certs)

    # One round: every store gate passes now, for every client, and nothing is left to do.
    config, evidence = run_of(world, stores)
    assert store_failures(config, evidence) == []
    for i, dcs in enumerate(world.clients):
        model = stores[world.store_of(i)]
        for dc in dcs:
            assert anchors((world.leaf(dc), world.inter(dc)), model), f"chain_trusted {dc}: no path to the new chain"
            # Nothing that works today is broken: production's current chain is still anchored.
            today = (world.old_leaf(dc), world.old_inter(dc))
            if anchors(today, {a: c for a, c in before[world.store_of(i)].items() if c.is_ca}):
                assert anchors(today, {a: c for a, c in model.items() if c.is_ca}), f"{dc}: production broken"
    for path, old in before.items():
        named = {alias for i, dcs in enumerate(world.clients) if world.store_of(i) == path
                 for dc in dcs for alias in world.aliases(dc)}
        wanted = {alias: c for i, dcs in enumerate(world.clients) if world.store_of(i) == path for dc in dcs
                  for alias, c in zip(world.aliases(dc), (world.root(dc), world.inter(dc)), strict=True)}
        needed = {c.sha256 for dc in world.dcs for c in (world.old_leaf(dc), world.old_inter(dc))} | \
                 {c.issuer for dc in world.dcs for c in (world.old_leaf(dc), world.old_inter(dc))}
        for s in steps:
            a = s.action
            if a.store != path or a.kind == "import":
                continue
            held = old[str(a.alias)]
            # No alias the file names is renamed or deleted unless its certificate is wrong; nothing unnamed is
            # touched but a pinned provider leaf.
            if a.alias in named:
                assert held != wanted[str(a.alias)], f"{a.kind} of {a.alias}, which held the right certificate"
            else:
                assert a.kind == "delete" and not held.is_ca, f"{a.kind} of unnamed {a.alias}"
            # Nothing production's current chain needs is deleted, but a pinned leaf: it is renamed aside.
            if a.kind == "delete" and held.is_ca:
                assert held.sha256 not in needed and held.subject not in needed, f"deleted {a.alias}, still needed"


def test_a_certificate_production_needs_is_renamed_aside_to_a_free_name() -> None:
    world = World(("us2", "em3", "ap1"), per_dc_roots=False, rotated_root=True, shared_store=True,
                  clients=(("us2", "em3", "ap1"),))
    stores = world.good_stores()
    stores["/stores/shared.jks"]["oracle-us2-root"] = world.old_root("us2")
    stores["/stores/shared.jks"]["oracle-us2-root-previous"] = world.root("us2")  # someone's, taken
    config, evidence = run_of(world, stores)
    [plan] = {id(p): p for p in storeplan.plans(config, evidence).values()}.values()
    assert [(a.kind, a.alias, a.dest_alias) for a in plan.actions] == [
        ("changealias", "oracle-us2-root", "oracle-us2-root-previous-2"), ("import", "oracle-us2-root", None)]
    [failure] = [r for r in store_failures(config, evidence) if r.gate == "aliases_present"]
    assert "keeping the old one as 'oracle-us2-root-previous-2': production's current chain still needs it" in \
        failure.message


def test_the_issues_store_gets_one_import_not_a_round_of_renames() -> None:
    """One root under the us2, em3 and ap1 aliases, oracle-us2-root deleted: import it, take nothing."""
    world = World(("us2", "em3", "ap1"), per_dc_roots=False, rotated_root=False, shared_store=True,
                  clients=(("us2", "em3", "ap1"),))
    stores = world.good_stores()
    del stores["/stores/shared.jks"]["oracle-us2-root"]
    config, evidence = run_of(world, stores)
    [step] = fixplan.plan(store_failures(config, evidence))
    assert (step.action.kind, step.action.alias, step.fixes) == (
        "import", "oracle-us2-root", (("aliases_present", "c0:us2"),))


def test_two_data_centres_naming_one_alias_for_different_certificates_is_a_usage_error() -> None:
    world = World(("us2", "em3", "ap1"), per_dc_roots=True, rotated_root=False, shared_store=True,
                  clients=(("us2", "em3", "ap1"),))
    config, evidence = run_of(world, world.good_stores())
    em3 = replace(config.datacenters[1], root_alias="oracle-us2-root")
    config = replace(config, datacenters=(config.datacenters[0], em3, config.datacenters[2]))
    with pytest.raises(storeplan.AliasConflict) as raised:
        storeplan.plans(config, evidence)
    said = str(raised.value)
    assert said.startswith("us2's root_alias and em3's root_alias both name alias 'oracle-us2-root' in "
                           "/stores/shared.jks, for different certificates")
    assert "Provider Root us2" in said and "Provider Root em3" in said and 'root_alias = "oracle-em3-root"' in said


def test_an_alias_the_run_does_not_name_is_never_taken() -> None:
    """A data centre named for an OCI region misses its intermediate's alias while the certificate sits under
    ap1's, which another integration sharing the store (not this run) may name: import, never rename."""
    world = World(("us2", "us-ashburn-1", "em3"), per_dc_roots=False, rotated_root=False, shared_store=True,
                  clients=(("us2", "us-ashburn-1", "em3"),))
    stores = world.good_stores()
    model = stores["/stores/shared.jks"]
    model["oracle-ap1-intermediate"] = model.pop("oracle-us-ashburn-1-intermediate")
    config, evidence = run_of(world, stores)
    [step] = fixplan.plan(store_failures(config, evidence))
    assert (step.action.kind, step.action.alias) == ("import", "oracle-us-ashburn-1-intermediate")
    [failure] = store_failures(config, evidence)
    assert "but under alias 'oracle-ap1-intermediate' instead of 'oracle-us-ashburn-1-intermediate'. Import it " \
           "under 'oracle-us-ashburn-1-intermediate' too" in failure.message
