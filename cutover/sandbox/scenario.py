"""What a sandbox scenario is: its row (description, expectations) and the hooks that plant its fault.

The build (`cutover.sandbox.build`) makes every pod the good way and calls a scenario's hooks at fixed
points, so a fault is one function beside its row in `cutover.sandbox.scenarios`, never a branch in the
build. Each hook runs only for the pods the scenario `affects` (the faulted pod unless it says otherwise),
in this order:

1. ``pod(pod)``: the pod's own facts before anything is made (its staging address, its old leaf's lifetime);
2. ``records(zone, pod)``: the pod's DNS records, instead of `Pod.edge_records` + `Pod.staging_records`;
3. ``new_leaf(pod)``: the new certificate the provider issued (and its bundle announces);
4. ``staging(pod)``: the chain served at the staging address, instead of `Pod.new_chain`;
5. ``listen(pod, chain)``: what listens at staging (addresses, behaviour), instead of one normal edge;
6. ``production(pod, staging_chain)``: production's chain, instead of `Pod.old_chain`.

Then, once for the run, ``store(draft)`` changes the client's truststore and ``client(draft)`` how the
datacenters.toml describes the client (its [truststore] lines, its java_options, a JDK of its own whose
lib/security holds other stores); `config` adds or changes settings in the datacenters.toml, and `proxy` puts the
sandbox's CONNECT proxy in front of every connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cutover.sandbox import pki
from cutover.sandbox.dnsserver import Zone

PASSWORD_ENV = "CUTOVER_SANDBOX_PASSWORD"
POD_NAMES = ("acme", "acme-test", "acme-dev", "acme-uat")
ROOT_ALIAS = "sandbox-root-g2"
INTERMEDIATE_ALIAS = "sandbox-issuing-ca-g2"
RENEWAL_IN = 14 * pki.DAY  # the sandbox's renewal date is two weeks from now
#: An organization name written by an attacker: markup that would run if a report rendered it as HTML,
#: and a terminal escape that would turn the rest of a terminal red.
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\x1b[31mOwned\x1b[0m'

#: What a pod-level fault fails: in DNS, every pod gate; in TLS, the two that need the served chain.
DNS_FAULT = (("staging_resolves", "pod"), ("chain_trusted", "pod"), ("new_cert_staged", "pod"))
TLS_FAULT = (("chain_trusted", "pod"), ("new_cert_staged", "pod"))
#: A proxy that gives no tunnel hides every pod's staging chain.
PROXY_FAULT = (("chain_trusted", "pods"), ("new_cert_staged", "pods"))


class SandboxError(Exception):
    """The sandbox cannot start; the message says what to install or change."""


def dc_alias(dc: str, role: str) -> str:
    """The alias a data centre names its `role` (``root``, ``intermediate``) under in a shared store."""
    return f"oracle-{dc}-{role}"


def hostname(dc: str, pod: str) -> str:
    return f"{pod}.fa.{dc}.oraclecloud.com"


@dataclass(frozen=True)
class Authorities:
    """The run's certification authorities, made once and shared by every pod.

    Attributes:
        root: the new root the store trusts (`ROOT_ALIAS`).
        inter: the new intermediate, issued by `root`; it issues every pod's new leaf.
        old_root: last decade's root, still in the store.
        old_inter: the intermediate that issued production's (old) leaves.
        edge_ca: the edge network's own root, unknown to the store.
        edge_default: the certificate an edge address serves to a client that names no pod it knows.
    """

    root: pki.Issued
    inter: pki.Issued
    old_root: pki.Issued
    old_inter: pki.Issued
    edge_ca: pki.Issued
    edge_default: pki.Issued


@dataclass
class Pod:
    """One pod while the sandbox builds it; the `pod` hook may change `staging_ip` and `old_days`.

    Attributes:
        dc: its data centre's code.
        name: the pod's name (``acme``).
        dc_index: the data centre's place among the fourteen (its addresses' third octet, `build.places`).
        slot: the pod's place in its data centre (its addresses' fourth octet, less one).
        fault_id: the pod the scenario faults (`Sandbox.fault_id`), this one or another.
        ca: the run's authorities.
        staging_ip: where its staging twin is served.
        old_days: how many days from now production's (old) leaf is valid.
        new_leaf: the provider's new certificate, set by the build (or the `new_leaf` hook).
        old_leaf: the certificate production serves today, set by the build.
        own_host: its hostname when the sandbox was given one (`Sandbox` ``hostnames=``); empty: the
            provider's template, ``<pod>.fa.<dc>.oraclecloud.com``.
        served: the data centre's place among those this sandbox serves, in their order: what "every other data
            centre" counts by, so that a sandbox of two serves one of each.
    """

    dc: str
    name: str
    dc_index: int
    slot: int
    fault_id: str
    ca: Authorities
    staging_ip: str = ""
    old_days: int = 65
    new_leaf: pki.Issued | None = None
    old_leaf: pki.Issued | None = None
    served: int = 0
    own_host: str = ""

    def __post_init__(self) -> None:
        self.staging_ip = self.staging_ip or f"127.20.{self.dc_index}.{self.slot + 1}"

    @property
    def id(self) -> str:
        return f"{self.dc}/{self.name}"

    @property
    def faulty(self) -> bool:
        return self.id == self.fault_id

    @property
    def in_fault_dc(self) -> bool:
        return self.dc == self.fault_id.partition("/")[0]

    @property
    def host(self) -> str:
        return self.own_host or hostname(self.dc, self.name)

    @property
    def prod_ip(self) -> str:
        return f"127.10.{self.dc_index}.{self.slot + 1}"

    @property
    def edge(self) -> str:
        """The edge hostname production CNAMEs to (Enhanced TLS)."""
        return f"{self.host}.edgekey.net"

    @property
    def staging_name(self) -> str:
        return f"{self.host}.edgekey-staging.net"

    @property
    def akamai(self) -> str:
        """The edge's own name, without ``.net`` (production) or ``-staging.net`` (its twin)."""
        return f"e{1000 + self.dc_index * 256 + self.slot}.a.akamaiedge"

    @property
    def leaf(self) -> pki.Issued:
        assert self.new_leaf is not None, "the build makes the new leaf before any later hook reads it"
        return self.new_leaf

    @property
    def old(self) -> pki.Issued:
        assert self.old_leaf is not None, "the build makes the old leaf before any later hook reads it"
        return self.old_leaf

    @property
    def new_chain(self) -> list[pki.Issued]:
        """What a ready staging serves: the new leaf and the new intermediate."""
        return [self.leaf, self.ca.inter]

    @property
    def old_chain(self) -> list[pki.Issued]:
        """What production serves until the cutover."""
        return [self.old, self.ca.old_inter]

    def edge_records(self, zone: Zone) -> None:
        """Production: the hostname CNAMEs to its edge hostname, which CNAMEs to the edge's own name."""
        zone.cname(self.host, self.edge)
        zone.cname(self.edge, f"{self.akamai}.net")
        zone.address(f"{self.akamai}.net", self.prod_ip)

    def staging_records(self, zone: Zone, *ips: str) -> None:
        """The staging twin, the same way, to `ips` (the pod's staging address when none given)."""
        zone.cname(self.staging_name, f"{self.akamai}-staging.net")
        zone.address(f"{self.akamai}-staging.net", *(ips or (self.staging_ip,)))


@dataclass(frozen=True)
class Listen:
    """One staging address the edge serves.

    Attributes:
        ip: the address.
        chain: what it serves, leaf first.
        name: the served files' suffix after ``<dc>-<pod>-`` (``staging``).
        behaviour: None for a normal edge, else a `cutover.sandbox.tlsserver.Endpoint` behaviour.
    """

    ip: str
    chain: list[pki.Issued]
    name: str = "staging"
    behaviour: str | None = None


@dataclass
class StoreDraft:
    """The client's truststore before keytool writes it, for the `store` hook to change.

    Attributes:
        ca: the run's authorities.
        fault: the faulted pod, as built (its `Pod.leaf` is what its bundle announces).
        intermediate: the intermediate's entry (alias, certificate), None when the store lacks it.
        root: whether the store holds the new root under `ROOT_ALIAS`.
        partner_org: the organization of an unrelated partner's certificate the store also holds.
        extra: entries imported last, in order.
        datacenters: the data centres the run serves.
    """

    ca: Authorities
    fault: Pod
    intermediate: tuple[str, pki.Issued] | None
    root: bool = True
    partner_org: str = "Partner Corp"
    extra: list[tuple[str, pki.Issued]] = field(default_factory=list)
    datacenters: tuple[str, ...] = ()


@dataclass
class ClientDraft:
    """How the run's datacenters.toml describes the client, for the `client` hook to change.

    Attributes:
        ca: the run's authorities.
        store: the truststore the sandbox made with keytool (PKCS12: its certificates encrypted under the
            sandbox's password).
        truststore: the [truststore] table's lines: the store's path and its password_env.
        java_options: [run] java_options, as the client's JVM gets them.
        jdk_stores: stores to write into the lib/security of a copy of the JDK (`cutover.sandbox.jdk`), which the
            client then runs with ([run] java_home): file name (``jssecacerts``, ``cacerts``) -> its entries
            (alias, certificate), as JKS; empty: the client runs with the JDK as installed.
        union: further files the client trusts together with `store` (WebLogic's Demo trust): name
            (``DemoTrust.jks``) -> its entries, written beside the store as JKS under the sandbox's password (the
            client's one password_env opens every file); [truststore] path then lists the store, then these.
        fault: the faulted pod, as built (its `Pod.leaf` is what its bundle announces).
    """

    ca: Authorities
    store: Path
    truststore: list[str]
    java_options: list[str] = field(default_factory=list)
    jdk_stores: dict[str, list[tuple[str, pki.Issued]]] = field(default_factory=dict)
    union: dict[str, list[tuple[str, pki.Issued]]] = field(default_factory=dict)
    fault: Pod | None = None


def _faulted(pod: Pod) -> bool:
    return pod.faulty


@dataclass(frozen=True)
class Scenario:
    """A named fault: its row in the scenario table, and the hooks that plant it (see the module's docstring).

    Attributes:
        name: what a user passes to ``make demo SCENARIO=``.
        description: what is wrong, in a sentence.
        fails: (gate, scope) pairs that must fail: scope ``pod`` is the faulted pod, ``dc`` its data
            centre, ``dc-pods`` every pod of that data centre, ``all`` every data centre (a store-wide
            fault), ``pods`` every pod of every data centre. Every other test must pass.
        says: a fragment the failure message must contain, so each fault has its own message; for a
            scenario that fails nothing, a fragment of the warning it must raise.
        proxy: None, or what the sandbox's CONNECT proxy does (see `cutover.sandbox.proxy.BEHAVIOURS`);
            with a proxy, the run's datacenters.toml sends every connection through it.
        config: settings the scenario adds to or changes in datacenters.toml, as (key, TOML value) pairs.
        dc_aliases: each data centre names aliases of its own (`dc_alias`), as in a store shared by several.
        affects: which pods the pod hooks run for; the faulted pod by default.
        pod, records, new_leaf, staging, listen, production, store, client: the hooks, None where the good
            build stands.
    """

    name: str
    description: str
    fails: tuple[tuple[str, str], ...] = ()
    says: str = ""
    proxy: str | None = None
    config: tuple[tuple[str, str], ...] = ()
    dc_aliases: bool = False
    affects: Callable[[Pod], bool] = field(default=_faulted, repr=False)
    pod: Callable[[Pod], None] | None = field(default=None, repr=False)
    records: Callable[[Zone, Pod], None] | None = field(default=None, repr=False)
    new_leaf: Callable[[Pod], pki.Issued] | None = field(default=None, repr=False)
    staging: Callable[[Pod], list[pki.Issued]] | None = field(default=None, repr=False)
    listen: Callable[[Pod, list[pki.Issued]], list[Listen]] | None = field(default=None, repr=False)
    production: Callable[[Pod, list[pki.Issued]], list[pki.Issued]] | None = field(default=None, repr=False)
    store: Callable[[StoreDraft], None] | None = field(default=None, repr=False)
    client: Callable[[ClientDraft], None] | None = field(default=None, repr=False)

    def setting(self, key: str, default: str) -> str:
        """The TOML value of `key` in the run's datacenters.toml: the scenario's, else `default`."""
        return dict(self.config).get(key, default)
