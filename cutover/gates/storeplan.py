"""One plan per store file: what every data centre and client reading that file needs of it, decided at once.

Real truststores are shared: one file serves several data centres and integrations, and the provider's root
often sits under several aliases (``oracle-us2-root``, ``oracle-em3-root``). Deciding per data centre, a gate
that misses its alias sees the certificate under a neighbour's alias and renames it away: the neighbour then
misses its own, and the plan chases itself round after round. So the store's steps are decided here, for the
whole file, from what every data centre of every client that reads it names, and the gates only quote them:

- an alias some data centre names keeps naming what that data centre's gate expects; a missing one is filled
  by importing the bundle's certificate under it (the same certificate under two aliases is fine in a Java
  truststore), never by taking another alias, which an integration we do not know of may name;
- an alias is changed only when its certificate is wrong for the data centre naming it; an entry no data
  centre of this run names stays as it is;
- nothing that works today is broken: before the cutover production still serves last year's chain, so a wrong
  certificate production's chain needs (a certificate of that chain, or the issuer of one) is renamed aside to
  ``<alias>-previous``, not deleted; only a pinned provider leaf (`provider_reasons`) is deleted outright.

A client that trusts several files together (``truststore = ["mine.jks", ".../cacerts"]``, `StoreContents.union`)
changes them by one rule: the list's FIRST file is the one its owner changes. An alias no file of the union holds
with the bundle's certificate is imported into the first file (a wrong certificate under it there is renamed aside
or deleted there, as in a single store; one in another file is left alone: the import gives the runtime the
bundle's certificate, and an extra anchor takes nothing away); a pinned provider leaf is deleted from the file that
holds it, whichever that is. Each file has one plan, whatever clients read it (`plans`).

`decide` is a pure function of the store's entries and what is wanted of them, so that a model of a store (the
suite's property test) and a real run take the same decision; `plans` feeds it a run's evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cutover.base.certs import CertInfo
from cutover.config import Client, Config, DataCenter
from cutover.evidence import Evidence, PodEvidence
from cutover.gates.fixplan import Action
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents

#: What a certificate production still needs is renamed to, rather than deleted.
PREVIOUS = "-previous"


class AliasConflict(ValueError):
    """Two data centres name one alias of one store for different certificates: no store satisfies both."""


@dataclass(frozen=True)
class Want:
    """One alias a data centre names in the store, and the certificate its gate expects under it.

    Attributes:
        dc: the data centre's code.
        role: ``root`` or ``intermediate``.
        alias: lower case, as Java keeps it.
        cert: the bundle's certificate.
        file: the file (or ``archive!member``) it is imported from.
    """

    dc: str
    role: str
    alias: str
    cert: CertInfo
    file: str


@dataclass(frozen=True)
class Today:
    """What production's current chains are made of: a store entry holding one of these certificates, or the
    issuer of one, may be what a client's trust of production rests on today."""

    shas: frozenset[str] = frozenset()
    issuers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, chains: Iterable[Sequence[CertInfo]]) -> Today:
        certs = [c for chain in chains for c in chain]
        return cls(frozenset(c.sha256 for c in certs), frozenset(c.issuer for c in certs))

    def needs(self, cert: CertInfo) -> bool:
        return cert.sha256 in self.shas or cert.subject in self.issuers


@dataclass(frozen=True)
class StorePlan:
    """The keytool steps on one store file, in the order to run them (deletes, renames, imports).

    Attributes:
        store: the file.
        actions: the steps; each gate quotes those on the aliases it is about (`on`).
        wants: what was wanted of the store, for the gates' words.
    """

    store: str
    actions: tuple[Action, ...]
    wants: tuple[Want, ...] = field(default=(), repr=False)

    def on(self, *aliases: str | None) -> tuple[Action, ...]:
        """The steps that change these aliases (a rename aside, a delete, an import under one of them)."""
        names = {a.lower() for a in aliases if a}
        return tuple(a for a in self.actions if (a.alias or "").lower() in names)


def wants(dcs: Iterable[DataCenter], bundles: Mapping[str, Bundle]) -> tuple[Want, ...]:
    """What the data centres with a bundle name in a store: a root and an intermediate each."""
    out = []
    for dc in dcs:
        b = bundles.get(dc.code)
        if b is None:
            continue
        for role, alias, cert in (("root", dc.root_alias, b.root), ("intermediate", dc.intermediate_alias,
                                                                     b.intermediate)):
            if alias:
                out.append(Want(dc.code, role, alias.lower(), cert, b.files.get(cert.sha256, str(b.path))))
    return tuple(out)


def conflict(wanted: Iterable[Want], store: str = "the truststore") -> str | None:
    """A usage error's text when two data centres name one alias for different certificates; None otherwise."""
    seen: dict[str, Want] = {}
    for w in wanted:
        first = seen.setdefault(w.alias, w)
        if first.cert.sha256 != w.cert.sha256:
            return (f"{first.dc}'s {first.role}_alias and {w.dc}'s {w.role}_alias both name alias {w.alias!r} in "
                    f"{store}, for different certificates ({first.dc}'s {first.role} {first.cert.short}; {w.dc}'s "
                    f"{w.role} {w.cert.short}): one alias holds one certificate, so no store can satisfy both. Give "
                    f"one of them an alias of its own in datacenters.toml, e.g. {w.role}_alias = "
                    f"\"oracle-{w.dc}-{w.role}\" for {w.dc}.")
    return None


def provider_reasons(cert: CertInfo, dc: DataCenter, bundle: Bundle | None, pods: Iterable[PodEvidence]) -> list[str]:
    """Why an end-entity certificate of the store is a server certificate of the provider in `dc`: empty if not."""
    reasons = []
    if bundle is not None and any(s.sha256 == cert.sha256 for s in bundle.servers):
        reasons.append(f"it is the server certificate of the {dc.code} bundle")
    for p in pods:
        for kind, fetches in (("staging", p.staging_chains), ("production", p.production_chains)):
            if any(f.leaf is not None and f.leaf.sha256 == cert.sha256 for f in fetches):
                reasons.append(f"it is the leaf served at {kind} for {p.target.hostname}")
    covered = [h for h in dc.hostnames if cert.covers(h)]
    if covered:
        reasons.append(f"its name covers {', '.join(covered)}")
    return reasons


def _free(alias: str, taken: set[str]) -> str:
    name, n = f"{alias}{PREVIOUS}", 2
    while name in taken:
        name, n = f"{alias}{PREVIOUS}-{n}", n + 1
    taken.add(name)
    return name


def decide(store: StoreContents, wanted: Sequence[Want], pinned: Iterable[str] = (), today: Today = Today(),
           password_env: str | None = None) -> StorePlan:
    """The whole store's steps: delete the pinned provider leaves (aliases in `pinned`), then make every wanted
    alias hold its certificate. Raises AliasConflict when two wants cannot both hold. A union of files is decided
    file by file (`_decide_union`)."""
    problem = conflict(wanted, str(store.path))
    if problem:
        raise AliasConflict(problem)
    if store.union:
        return _decide_union(store, wanted, pinned, today, password_env)
    path, kind = str(store.path), store.store_type

    def step(verb: str, alias: str, cert: CertInfo | None, dest: str | None = None, file: str | None = None) -> Action:
        return Action(verb, store=path, store_type=kind, alias=alias, dest_alias=dest,
                      sha256=cert.sha256 if cert else None, subject=cert.name if cert else None, file=file,
                      password_env=password_env)

    pinned_aliases = {a.lower() for a in pinned}
    deletes = [step("delete", e.alias, e.cert) for e in store.entries if e.alias in pinned_aliases]
    renames: list[Action] = []
    imports: list[Action] = []
    taken = {e.alias for e in store.entries} | {w.alias for w in wanted}
    first: dict[str, Want] = {}
    for w in wanted:
        first.setdefault(w.alias, w)
    for w in first.values():
        entry = store.by_alias(w.alias)
        if entry is not None and entry.kind == "trustedCertEntry" and entry.cert is not None \
                and entry.cert.sha256 == w.cert.sha256:
            continue
        if entry is not None and entry.alias not in pinned_aliases:
            if entry.kind == "trustedCertEntry" and entry.cert is not None and today.needs(entry.cert):
                renames.append(step("changealias", entry.alias, entry.cert, dest=_free(entry.alias, taken)))
            else:
                deletes.append(step("delete", entry.alias, entry.cert))
        imports.append(step("import", w.alias, w.cert, file=w.file))
    return StorePlan(path, (*deletes, *renames, *imports), tuple(wanted))


def held(store: StoreContents, w: Want) -> bool:
    """Some file of the store holds `w`'s alias as a trusted entry of the bundle's certificate."""
    return any(e.kind == "trustedCertEntry" and e.cert is not None and e.cert.sha256 == w.cert.sha256
               for e in store.holding(w.alias))


def _decide_union(store: StoreContents, wanted: Sequence[Want], pinned: Iterable[str], today: Today,
                  password_env: str | None) -> StorePlan:
    """A union's steps, file by file (keytool changes one file at a time): what no file holds is imported into
    the first (the one its owner changes); a pinned leaf is deleted from the file holding it, and only a leaf (an
    alias may name a CA in another file)."""
    pinned_aliases = {a.lower() for a in pinned}
    actions: list[Action] = []
    for n, path in enumerate(store.files):
        part = store.part(path)
        leaves = {e.alias for e in part.trusted if e.alias in pinned_aliases and e.cert is not None
                  and not e.cert.is_ca}
        mine = [w for w in wanted if not held(store, w)] if n == 0 else []
        actions += decide(part, mine, leaves, today, password_env).actions
    return StorePlan(str(store.path), tuple(actions), tuple(wanted))


def pinned_leaves(store: StoreContents, dcs: Sequence[DataCenter], bundles: Mapping[str, Bundle],
                  pods: Sequence[PodEvidence]) -> tuple[str, ...]:
    """The aliases of the store that hold a server certificate of the provider in one of `dcs` (no_lb_cert)."""
    return tuple(e.alias for e in store.trusted if e.cert is not None and not e.cert.is_ca and any(
        provider_reasons(e.cert, dc, bundles.get(dc.code), [p for p in pods if p.target.dc == dc.code])
        for dc in dcs))


#: Clients that read one file, and the data centres any of them talks to.
Sharing = tuple[list[Client], tuple[DataCenter, ...]]


def sharing(config: Config, clients: Iterable[Client], path_of: Mapping[str, Path | None]) -> list[Sharing]:
    """The clients grouped by the file they read (`path_of`: client name -> file, None: not known, a group of
    its own), each group with the data centres any of them talks to."""
    groups: dict[object, list[Client]] = {}
    for c in clients:
        p = path_of.get(c.name)
        groups.setdefault(p.resolve() if p is not None else c.name, []).append(c)
    out = []
    for members in groups.values():
        codes = {code for c in members for code in c.datacenters}
        out.append((members, tuple(dc for dc in config.datacenters if dc.code in codes)))
    return out


def check_aliases(config: Config, bundles: Mapping[str, Bundle]) -> None:
    """Before anything is gathered: raise AliasConflict when two data centres of one store file name one alias
    for different certificates (each client's configured file; a JDK's cacerts is its client's own)."""
    path_of = {c.name: c.truststore for c in config.clients}
    for members, dcs in sharing(config, config.clients, path_of):
        where = str(members[0].truststore or f"the JDK's cacerts of client {members[0].name}")
        problem = conflict(wants(dcs, bundles), where)
        if problem:
            raise AliasConflict(f"{config.path}: {problem}")


def plans(config: Config, evidence: Evidence) -> dict[str, StorePlan]:
    """Each client's store plan, by client name: one plan per file, decided over every client that reads it.

    A file's wants are those of the clients whose list it heads (the file they change; for a union, only what no
    other file of theirs holds); its pinned leaves and production's chains are those of every client reading it. A
    client trusting several files gets the steps of each of its files' plans, in its list's order.
    """
    readable = {name: c.store for name, c in evidence.clients.items() if c.store is not None}
    clients = {c.client.name: c.client for c in evidence.clients.values()}
    readers: dict[Path, list[str]] = {}
    for name, store in readable.items():
        for f in store.files:
            readers.setdefault(f.resolve(), []).append(name)
    of_file: dict[Path, StorePlan] = {}
    for key, names in readers.items():
        holder = readable[names[0]]
        part = holder.part(next(f for f in holder.files if f.resolve() == key))
        dcs = tuple(dc for dc in config.datacenters if any(dc.code in clients[n].datacenters for n in names))
        codes = {dc.code for dc in dcs}
        heads = [n for n in names if readable[n].path.resolve() == key]
        wanted = tuple(w for w in wants(dcs, evidence.bundles) if any(
            w.dc in clients[n].datacenters and not (readable[n].union and held(readable[n], w)) for n in heads))
        pods = [p for p in evidence.pods.values() if p.target.dc in codes]
        today = Today.of(f.chain for p in pods for f in p.production_chains if f.error is None)
        of_file[key] = decide(part, wanted, pinned_leaves(part, dcs, evidence.bundles, pods), today,
                              clients[names[0]].password_env or None)
    out: dict[str, StorePlan] = {}
    for name, store in readable.items():
        steps = [a for f in store.files for a in of_file[f.resolve()].actions]
        out[name] = StorePlan(str(store.path), tuple(steps), of_file[store.path.resolve()].wants)
    return out
