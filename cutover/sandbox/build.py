"""Building the simulated edge's files: the PKI, every pod's DNS records and served chains, the provider's
bundles and the client's keytool store.

Every pod is made the good way; the scenario's hooks (see `cutover.sandbox.scenario`) change it at fixed
points, so nothing here knows any scenario by name.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cutover.config import KNOWN_DATACENTERS
from cutover.judge.java import JVM_SPEED_FLAGS
from cutover.sandbox import pki
from cutover.sandbox.dnsserver import Zone
from cutover.sandbox.scenario import (
    INTERMEDIATE_ALIAS,
    PASSWORD_ENV,
    ROOT_ALIAS,
    Authorities,
    Listen,
    Pod,
    SandboxError,
    Scenario,
    StoreDraft,
)
from cutover.sandbox.tlsserver import Endpoint
from cutover.stores import keytool as keytool_mod


def find_keytool() -> Path:
    home = os.environ.get("JAVA_HOME")
    for candidate in ([Path(home) / "bin" / "keytool"] if home else []) + [Path(shutil.which("keytool") or "")]:
        if candidate.name == "keytool" and candidate.is_file():
            return candidate
    raise SandboxError("keytool not found: install a JDK (Debian: apt-get install openjdk-17-jdk-headless) "
                       "or set JAVA_HOME.")


@dataclass
class Built:
    """What the build made, for the servers to serve.

    Attributes:
        default_chain: the edge's default certificate (chain file, key file), for a client naming no pod.
        zone: every name the DNS server answers.
        endpoints: every TLS address, in the order the pods were made.
        staging_ips: each pod's staging address, in order.
        switch: pod id -> (production IP, hostname, the chain staging serves), for `Sandbox.cut_over`.
        pods: every pod as built, by id.
    """

    default_chain: tuple[Path, Path]
    zone: Zone = field(default_factory=Zone)
    endpoints: list[Endpoint] = field(default_factory=list)
    staging_ips: list[str] = field(default_factory=list)
    switch: dict[str, tuple[str, str, list[pki.Issued]]] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)


def authorities() -> Authorities:
    root = pki.make_root("Sandbox Root CA G2")
    old_root = pki.make_root("Sandbox Root CA 2016", pki.NOW - 3600 * pki.DAY, pki.NOW + 1800 * pki.DAY)
    edge_ca = pki.make_root("Sandbox Edge Default CA", org="Sandbox Edge Network")
    return Authorities(
        root=root,
        inter=pki.make_intermediate("Sandbox TLS Issuing CA G2 2026", root),
        old_root=old_root,
        old_inter=pki.make_intermediate("Sandbox TLS Issuing CA 2023", old_root,
                                        pki.NOW - 900 * pki.DAY, pki.NOW + 400 * pki.DAY),
        edge_ca=edge_ca,
        edge_default=pki.make_leaf(["a248.e.akamai.net"], edge_ca, org="Sandbox Edge Network"),
    )


def write_chain(workdir: Path, name: str, chain: list[pki.Issued]) -> tuple[Path, Path]:
    chain_file = workdir / "served" / f"{name}.pem"
    key_file = workdir / "served" / f"{name}.key"
    chain_file.write_bytes(b"".join(c.pem for c in chain))
    key_file.write_bytes(chain[0].key_pem)
    key_file.chmod(0o600)
    return chain_file, key_file


def endpoint(workdir: Path, ip: str, host: str, chain: list[pki.Issued], name: str,
             behaviour: str | None = None) -> Endpoint:
    return Endpoint(ip, host, *write_chain(workdir, name, chain), behaviour=behaviour)


#: What a pod the scenario does not affect is built with: no hooks at all.
_UNHOOKED = Scenario("unhooked", "the good build")


class Builder:
    """Makes one run's pods, bundles and store in `workdir` for `scenario`, faulting pod `fault_id`."""

    def __init__(self, scenario: Scenario, workdir: Path, fault_id: str) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.fault_id = fault_id
        self.ca = authorities()
        self.built = Built(write_chain(workdir, "edge-default", [self.ca.edge_default, self.ca.edge_ca]))

    def datacenter(self, dc_index: int, dc: str, pods: list[str], hosts: Sequence[str] = (),
                   served: int = 0) -> list[tuple[str, bytes]]:
        """Every pod of `dc` (named by `hosts` when given); returns its bundle's members (root, intermediate,
        each pod's new leaf). `served`: the data centre's place among those served (`Pod.served`)."""
        members = [("SandboxRootCAG2.crt.pem", self.ca.root.pem),
                   ("SandboxTLSIssuingCAG22026.crt.pem", self.ca.inter.pem)]
        named = [(h.split(".")[0], h) for h in hosts] or [(name, "") for name in pods]
        for slot, (name, host) in enumerate(named):
            pod = self.pod(Pod(dc, name, dc_index, slot, self.fault_id, self.ca, own_host=host, served=served))
            members.append((f"{pod.host}.crt.pem", pod.leaf.pem))
        return members

    def pod(self, pod: Pod) -> Pod:
        """Make one pod the good way, the scenario's hooks changing it at the fixed points (1-6 in
        `cutover.sandbox.scenario`) when it `affects` the pod; serve its staging and production addresses."""
        s = self.scenario if self.scenario.affects(pod) else _UNHOOKED
        zone, inter, old_inter = self.built.zone, self.ca.inter, self.ca.old_inter
        if s.pod:
            s.pod(pod)
        pod.old_leaf = pki.make_leaf([pod.host], old_inter, pki.NOW - 300 * pki.DAY, pki.NOW + pod.old_days * pki.DAY)
        if s.records:
            s.records(zone, pod)
        else:
            pod.edge_records(zone)
            pod.staging_records(zone)
        pod.new_leaf = s.new_leaf(pod) if s.new_leaf else pki.make_leaf([pod.host], inter)
        staging = s.staging(pod) if s.staging else pod.new_chain
        listen = s.listen(pod, staging) if s.listen else [Listen(pod.staging_ip, staging)]
        production = s.production(pod, staging) if s.production else pod.old_chain
        self.built.staging_ips.append(pod.staging_ip)
        for at in listen:
            self.serve(at.ip, pod.host, at.chain, f"{pod.dc}-{pod.name}-{at.name}", at.behaviour)
        self.serve(pod.prod_ip, pod.host, production, f"{pod.dc}-{pod.name}-production")
        self.built.switch[pod.id] = (pod.prod_ip, pod.host, staging)
        self.built.pods[pod.id] = pod
        return pod

    def serve(self, ip: str, host: str, chain: list[pki.Issued], name: str, behaviour: str | None = None) -> None:
        self.built.endpoints.append(endpoint(self.workdir, ip, host, chain, name, behaviour))

    def store_entries(self) -> list[tuple[str, pki.Issued]]:
        """The client's store, as an integration admin would have made it with keytool."""
        draft = StoreDraft(self.ca, self.built.pods[self.fault_id], (INTERMEDIATE_ALIAS, self.ca.inter),
                           datacenters=tuple(dict.fromkeys(p.dc for p in self.built.pods.values())))
        if self.scenario.store:
            self.scenario.store(draft)
        partner_ca = pki.make_root("Partner Private CA", org="Partner Corp")
        partner = pki.make_leaf(["sftp.partner.example"], partner_ca, org=draft.partner_org)
        return [*([(ROOT_ALIAS, self.ca.root)] if draft.root else []), ("sandbox-root-2016", self.ca.old_root),
                *([draft.intermediate] if draft.intermediate else []), ("partner-sftp", partner), *draft.extra]


def build(scenario: Scenario, workdir: Path, datacenters: tuple[str, ...], pods: list[str],
          fault_id: str, hostnames: Mapping[str, Sequence[str]] | None = None,
          ) -> tuple[Built, list[tuple[str, pki.Issued]]]:
    """Write the served chains and the bundles; return what to serve and the store's entries. A data centre
    in `hostnames` has those pods instead of `pods`."""
    (workdir / "certs").mkdir(parents=True, exist_ok=True)
    (workdir / "served").mkdir(exist_ok=True)
    builder = Builder(scenario, workdir, fault_id)
    for served, (dc, dc_index) in enumerate(places(datacenters).items()):
        members = builder.datacenter(dc_index, dc, pods, (hostnames or {}).get(dc, ()), served)
        with zipfile.ZipFile(workdir / "certs" / f"{dc}.zip", "w") as z:
            for name, data in members:
                z.writestr(name, data)
    return builder.built, builder.store_entries()


def places(datacenters: Sequence[str]) -> dict[str, int]:
    """Each data centre's place, the third octet of its pods' addresses: its place among the fourteen whichever
    of them a run serves (us2's pods are at 127.20.11.x in a run of us2 alone too, as the hosts-file lines and
    the docs say), then the others (OCI regions) after them in the order given."""
    known = list(KNOWN_DATACENTERS)
    extra = iter(range(len(known), 256))
    return {dc: known.index(dc) if dc in known else next(extra) for dc in datacenters}


def make_store(keytool: Path, workdir: Path, store: Path, entries: list[tuple[str, pki.Issued]],
               env: dict[str, str], *, store_type: str | None = None, password_env: str = PASSWORD_ENV) -> None:
    """Import each entry with the real keytool, as an integration admin would (the password under `password_env` in
    `env`; `store_type` keytool's, PKCS12 by default).

    With the fix plan's own builder of keytool's arguments (`cutover.stores.keytool`): the store is made as the
    plan would repair it. keytool's JVM with the probe's start-up flags (C1 only, serial GC): the same store for
    half the CPU (0.56 -> 0.30 s an import), which every sandbox of the suite's own tests pays per entry.
    """
    pems = {alias: workdir / "certs" / f"store-{alias}.pem" for alias, _ in entries}
    try:
        for alias, issued in entries:
            pems[alias].write_bytes(issued.pem)
        keytool_mod.import_certs(keytool, store, pems, password_env=password_env, env=env, store_type=store_type,
                                 jvm_flags=JVM_SPEED_FLAGS)
    except keytool_mod.KeytoolError as e:
        raise SandboxError(f"keytool could not build the sandbox truststore: {e}") from None
    finally:
        for pem in pems.values():
            pem.unlink(missing_ok=True)
