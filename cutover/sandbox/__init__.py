"""The simulated staging edge: real DNS and real TLS on 127.0.0.0/8, a generated PKI, a keytool store.

Production hostnames CNAME to ``X.edgekey.net`` whose addresses serve the old chain; the staging twin
``X.edgekey-staging.net`` serves the new one. The sandbox writes its own datacenters.toml, provider
bundles and a truststore made by the real keytool, so ``pytest --datacenters`` runs every gate
against it exactly as against the provider. Named scenarios put one fault on one pod (``us2``'s
first by default) so a user can see what each failure looks like, and the suite's own tests can
prove each gate catches its fault.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from cutover.config import KNOWN_DATACENTERS
from cutover.sandbox import pki
from cutover.sandbox.dnsserver import DNSServer, Record, Zone
from cutover.sandbox.proxy import ConnectEntry, ConnectProxy
from cutover.sandbox.tlsserver import Endpoint, TLSServer

PASSWORD_ENV = "CUTOVER_SANDBOX_PASSWORD"
POD_NAMES = ("acme", "acme-test", "acme-dev", "acme-uat")
ROOT_ALIAS = "sandbox-root-g2"
INTERMEDIATE_ALIAS = "sandbox-issuing-ca-g2"
RENEWAL_IN = 14 * pki.DAY  # the sandbox's renewal date is two weeks from now
#: An organization name written by an attacker: markup that would run if a report rendered it as HTML,
#: and a terminal escape that would turn the rest of a terminal red.
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\x1b[31mOwned\x1b[0m'



class SandboxError(Exception):
    """The sandbox cannot start; the message says what to install or change."""


@dataclass(frozen=True)
class Scenario:
    """A named fault.

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
    """

    name: str
    description: str
    fails: tuple[tuple[str, str], ...] = ()
    says: str = ""
    proxy: str | None = None


#: What a pod-level fault fails: in DNS, every pod gate; in TLS, the two that need the served chain.
DNS_FAULT = (("staging_resolves", "pod"), ("chain_trusted", "pod"), ("new_cert_staged", "pod"))
TLS_FAULT = (("chain_trusted", "pod"), ("new_cert_staged", "pod"))
#: A proxy that gives no tunnel hides every pod's staging chain.
PROXY_FAULT = (("chain_trusted", "pods"), ("new_cert_staged", "pods"))
#: The sandbox's proxy: an address of its own, so its log tells proxied connections from direct ones.
PROXY_HOST = "127.30.0.1"
PROXY_USER = "qa-runner"
PROXY_PASSWORD_ENV = "CUTOVER_SANDBOX_PROXY_PASSWORD"

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("good", "everything ready for cutover: every gate passes"),
    Scenario("no-staging-record", "the staging twin of one pod's edge hostname does not exist (NXDOMAIN)",
             DNS_FAULT,
             "does not exist (NXDOMAIN"),
    Scenario("staging-servfail", "the resolver answers SERVFAIL for one pod's staging name",
             DNS_FAULT, "SERVFAIL"),
    Scenario("no-edge-cname", "one pod's hostname has an A record directly, no CNAME to an Akamai edge hostname",
             DNS_FAULT,
             "no Akamai edge hostname"),
    Scenario("staging-is-production", "one pod's staging name resolves to its production IP: the new chain is "
             "never seen, so chain_trusted is not judged (a failure, never a pass)",
             (("staging_resolves", "pod"), ("chain_trusted", "pod"), ("new_cert_staged", "pod")),
             "also a production IP"),
    Scenario("missing-intermediate", "staging omits the intermediate for one pod and the store holds only the root",
             (("chain_trusted", "pod"), ("aliases_present", "all")), "unable to find valid certification path"),
    Scenario("untrusted-ca", "staging serves one pod a chain from a CA the store does not hold",
             TLS_FAULT, "unable to find valid certification path"),
    Scenario("hostname-mismatch", "the certificate at staging for one pod names another host",
             (("chain_trusted", "pod"),), "No subject alternative DNS name matching"),
    Scenario("expired-leaf", "the leaf served at staging for one pod has expired",
             (("chain_trusted", "pod"),), "CertificateExpiredException"),
    Scenario("short-lived-leaf", "the staging leaf of one pod expires 20 days from now: after the renewal date "
             "(in 14 days), before the 30 days after it that the chain must last",
             (("chain_trusted", "pod"),), "but not on 30 days after the renewal date"),
    Scenario("hostile-names", "certificate names hold HTML, script, terminal escapes and 10,000 characters: the "
             "staging leaf of one pod and an unrelated entry of the store. Everything passes; the report and "
             "terminal show the names as text, shortened", (), "end-entity entry 'partner-sftp'"),
    Scenario("not-staged-yet", "staging still serves production's (old) certificate for one pod",
             (("new_cert_staged", "pod"),), "the new certificate is not on staging yet"),
    Scenario("not-staged-urgent", "staging still serves production's certificate for one pod, and it expires in "
             "10 days (warn_days is 14), before the renewal date",
             (("new_cert_staged", "pod"), ("chain_trusted", "pod")), "URGENT: it expires within warn_days"),
    Scenario("staging-no-answer", "one pod's staging name exists but has no A or AAAA record",
             DNS_FAULT, "NoAnswer"),
    Scenario("dns-timeout", "the resolver never answers for one pod's staging name",
             DNS_FAULT, "DNS timed out for staging name"),
    Scenario("cname-loop", "one pod's staging name CNAMEs in a loop", DNS_FAULT, "SERVFAIL"),
    Scenario("long-cname-chain", "one pod's staging name CNAMEs through 20 names before an address",
             DNS_FAULT, "longer than 16"),
    Scenario("tcp-only-dns", "the resolver truncates its UDP answers for one pod: the client must ask over TCP "
             "(everything passes)", (), ""),
    Scenario("ipv6-only-staging", "one pod's staging name has only an AAAA record, served on ::1 (everything passes)",
             (), ""),
    Scenario("split-horizon", "the resolver answers the provider's public names with loopback addresses, as a "
             "split-horizon DNS or local override would: every pod passes with a warning", (), "split-horizon"),
    Scenario("refused", "nothing listens on one pod's staging IP", TLS_FAULT, "Connection refused"),
    Scenario("reset", "one pod's staging IP resets the connection during the handshake", TLS_FAULT,
             "reset"),
    Scenario("speaks-http", "one pod's staging IP answers in plain HTTP", TLS_FAULT,
             "Unsupported or unrecognized SSL message"),
    Scenario("tls10-only", "one pod's staging IP speaks only TLS 1.0", (("chain_trusted", "pod"),),
             "protocol"),
    Scenario("ignores-sni", "one pod's staging IP ignores SNI and serves the edge's default certificate",
             TLS_FAULT, "a248.e.akamai.net"),
    Scenario("chain-of-50", "one pod's staging IP sends a chain of 50 certificates", (("chain_trusted", "pod"),),
             "exceeds the maximum allowed length"),
    Scenario("huge-extension", "one pod's staging leaf carries a 64 KB extension", (("chain_trusted", "pod"),),
             "exceeds the maximum allowed size"),
    Scenario("malformed-cert", "one pod's staging leaf has a negative serial number (malformed under RFC 5280) "
             "and so a signature that does not match", TLS_FAULT, "signature check failed"),
    Scenario("silent-dc", "every staging address of one data centre accepts connections and never answers",
             (("chain_trusted", "dc-pods"), ("new_cert_staged", "dc-pods")), "TLS handshake timed out"),
    Scenario("staged-cert-not-in-bundle", "staging serves one pod a new certificate that is not the bundle's",
             (("new_cert_staged", "pod"),), "which is not a server certificate of the us2 bundle"),
    Scenario("leaf-without-san", "one pod's staging leaf names its host only in the CN: Java accepts it, "
             "browsers and curl would not", (), "a web-PKI client (browser, curl, Python) would reject it"),
    Scenario("missing-intermediate-alias", "the store lacks the intermediate CA's alias",
             (("aliases_present", "all"),), f"alias '{INTERMEDIATE_ALIAS}' is missing"),
    Scenario("stale-intermediate", "the intermediate alias holds last year's intermediate",
             (("aliases_present", "all"),), "holds a different certificate"),
    Scenario("intermediate-other-alias", "the bundle's intermediate is in the store under another alias",
             (("aliases_present", "all"),), "under alias 'issuing-ca-imported-by-hand'"),
    Scenario("pinned-leaf", "the provider's server certificate (from the bundle) was imported into the store",
             (("no_lb_cert", "dc"),), "server certificate of the us2 bundle"),
    Scenario("pinned-production-leaf", "the leaf served at production for one pod was imported into the store",
             (("no_lb_cert", "dc"),), "leaf served at production"),
    Scenario("via-proxy", "every connection goes through an HTTP CONNECT proxy on 127.30.0.1, as behind a "
             "corporate proxy (everything passes)", (), "", proxy="open"),
    Scenario("proxy-auth-required", "the CONNECT proxy wants a user and password (407) and the run gives none",
             PROXY_FAULT, "407 Proxy Authentication Required", proxy="auth"),
    Scenario("proxy-forbids-staging", "the CONNECT proxy answers 403 for every staging IP and tunnels to "
             "production", PROXY_FAULT, "403 Forbidden", proxy="forbid"),
    Scenario("proxy-silent", "the CONNECT proxy accepts connections and never answers", PROXY_FAULT,
             "did not answer CONNECT", proxy="silent"),
    Scenario("after-cutover", "every pod is cut over: production serves the new certificate, as staging does "
             "(everything passes)", (), "phases: cut over 28"),
    Scenario("partial-cutover", "half the data centres (every other one, from ca2) are cut over, the rest are "
             "staged (everything passes)", (), "cut over 14"),
    Scenario("rolling-staging", "one pod's staging name has two addresses and one of them still serves the old "
             "leaf", (("new_cert_staged", "pod"),), "rolling: the staging addresses"),
    Scenario("cutover-broke-trust", "one pod's production switched to the new certificate but sends it without "
             "its intermediate, and the store holds only the root: staging, which sends the intermediate, passed",
             (("chain_trusted", "pod"), ("aliases_present", "all")), "rejects the chain at production"),
)}


def _raise_open_files_limit(needed: int) -> None:
    """Hundreds of pods mean hundreds of listening sockets: lift the soft limit toward the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed * 2:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed * 2, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def find_keytool() -> Path:
    home = os.environ.get("JAVA_HOME")
    for candidate in ([Path(home) / "bin" / "keytool"] if home else []) + [Path(shutil.which("keytool") or "")]:
        if candidate.name == "keytool" and candidate.is_file():
            return candidate
    raise SandboxError("keytool not found: install a JDK (Debian: apt-get install openjdk-17-jdk-headless) "
                       "or set JAVA_HOME.")


class Sandbox:
    """Build and serve a simulated staging edge in `workdir` (a new temporary folder when None)."""

    def __init__(self, scenario: str = "good", workdir: Path | None = None, pods_per_dc: int = 2,
                 datacenters: tuple[str, ...] = tuple(KNOWN_DATACENTERS), fault_dc: str = "us2",
                 password: str | None = None, latency_ms: int = 0) -> None:
        if scenario not in SCENARIOS:
            raise SandboxError(f"unknown sandbox scenario {scenario!r}; known: {', '.join(SCENARIOS)}.")
        if not 1 <= pods_per_dc <= 250:
            raise SandboxError("pods per data centre must be between 1 and 250.")
        self.scenario = SCENARIOS[scenario]
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cutover-sandbox-"))
        self.pods_per_dc = pods_per_dc
        self.datacenters = datacenters
        self.fault_dc = fault_dc if fault_dc in datacenters else datacenters[0]
        self.fault_pod = POD_NAMES[0]
        self.password = password or secrets.token_urlsafe(18)
        self.latency_ms = latency_ms  # added to every DNS answer and every TLS accept, to measure speed
        self._dns: DNSServer | None = None
        self._tls: TLSServer | None = None
        self.proxy: ConnectProxy | None = None
        self.proxy_password = secrets.token_urlsafe(12)
        self.staging_ips: list[str] = []
        self._switch: dict[str, tuple[str, str, list[pki.Issued]]] = {}  # pod id -> production IP, host, new chain

    # -- naming -------------------------------------------------------------------------------------
    def pods(self) -> list[str]:
        return [POD_NAMES[i] if i < len(POD_NAMES) else f"acme-{i}" for i in range(self.pods_per_dc)]

    @staticmethod
    def hostname(dc: str, pod: str) -> str:
        return f"{pod}.fa.{dc}.oraclecloud.com"

    @property
    def fault_id(self) -> str:
        return f"{self.fault_dc}/{self.fault_pod}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "datacenters.toml"

    @property
    def truststore_path(self) -> Path:
        return self.workdir / "client-truststore.jks"

    @property
    def password_file(self) -> Path:
        return self.workdir / "truststore.password"

    @property
    def dns_address(self) -> tuple[str, int]:
        """Where the sandbox's DNS server answers, for a real resolver put in front of it."""
        assert self._dns is not None, "the sandbox is not started"
        return self._dns.host, self._dns.port

    def zones(self) -> list[str]:
        """The zones the sandbox's names live in (the last two labels), each one a resolver's stub zone."""
        assert self._dns is not None, "the sandbox is not started"
        return sorted({".".join(name.split(".")[-2:]) for name in self._dns.zone})

    def counters(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """DNS queries per (name, type) and TLS connections per address since start (or `reset_counters`)."""
        assert self._dns is not None and self._tls is not None
        return dict(self._dns.queries), dict(self._tls.connections)

    def reset_counters(self) -> None:
        assert self._dns is not None and self._tls is not None
        self._dns.queries.clear()
        self._tls.connections.clear()

    def env(self) -> dict[str, str]:
        """Environment for a process that runs the gates against this sandbox."""
        return {**os.environ, PASSWORD_ENV: self.password}

    @property
    def proxy_log(self) -> list[ConnectEntry]:
        """Every CONNECT the sandbox's proxy received, in order; empty without a proxy."""
        return list(self.proxy.log) if self.proxy is not None else []

    # -- life cycle ---------------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Sandbox:
        try:
            self._build_and_serve()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers and remove a temporary folder; safe to call twice."""
        for server in (self.proxy, self._tls, self._dns):
            if server is not None:
                server.stop()
        self._tls = self._dns = self.proxy = None
        if self._own_dir and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)

    def cut_over(self, *pod_ids: str) -> None:
        """Switch production of these pods (``us2/acme``; all when none given) to the chain staging serves,
        while the edge runs: what the provider does on the renewal date, for a test that runs twice."""
        if self._tls is None:
            raise SandboxError("the sandbox is not running")
        for pid in pod_ids or tuple(self._switch):
            if pid not in self._switch:
                raise SandboxError(f"no pod {pid!r} in the sandbox; known: {', '.join(self._switch)}")
            ip, host, chain = self._switch[pid]
            self._tls.serve(self._endpoint(ip, host, chain, f"{pid.replace('/', '-')}-production-switched"))

    # -- building -----------------------------------------------------------------------------------
    def _build_and_serve(self) -> None:
        fault = self.scenario.name
        keytool = find_keytool()
        w = self.workdir
        (w / "certs").mkdir(parents=True, exist_ok=True)
        (w / "served").mkdir(exist_ok=True)

        root = pki.make_root("Sandbox Root CA G2")
        inter = pki.make_intermediate("Sandbox TLS Issuing CA G2 2026", root)
        old_root = pki.make_root("Sandbox Root CA 2016", pki.NOW - 3600 * pki.DAY, pki.NOW + 1800 * pki.DAY)
        old_inter = pki.make_intermediate("Sandbox TLS Issuing CA 2023", old_root,
                                          pki.NOW - 900 * pki.DAY, pki.NOW + 400 * pki.DAY)
        edge_ca = pki.make_root("Sandbox Edge Default CA", org="Sandbox Edge Network")
        edge_default = pki.make_leaf(["a248.e.akamai.net"], edge_ca, org="Sandbox Edge Network")
        default_chain = self._write_chain("edge-default", [edge_default, edge_ca])

        zone = Zone()
        endpoints: list[Endpoint] = []
        bundles: dict[str, list[tuple[str, bytes]]] = {}
        leaves: dict[tuple[str, str, str], pki.Issued] = {}
        for i, dc in enumerate(self.datacenters):
            bundles[dc] = [("SandboxRootCAG2.crt.pem", root.pem), ("SandboxTLSIssuingCAG22026.crt.pem", inter.pem)]
            for j, pod in enumerate(self.pods()):
                host = self.hostname(dc, pod)
                faulty = f"{dc}/{pod}" == self.fault_id
                edge = f"{host}.edgekey.net"
                akamai = f"e{1000 + i * 256 + j}.a.akamaiedge"
                prod_ip, staging_ip = f"127.10.{i}.{j + 1}", f"127.20.{i}.{j + 1}"
                new_leaf = pki.make_leaf([host], inter)
                old_expiry = pki.NOW + (10 if faulty and fault == "not-staged-urgent" else 65) * pki.DAY
                old_leaf = pki.make_leaf([host], old_inter, pki.NOW - 300 * pki.DAY, old_expiry)

                if faulty and fault == "no-edge-cname":
                    zone.address(host, prod_ip)
                else:
                    zone.cname(host, edge)
                    zone.cname(edge, f"{akamai}.net")
                    zone.address(f"{akamai}.net", prod_ip)
                staging_name = f"{host}.edgekey-staging.net"
                staging_ip = "::1" if faulty and fault == "ipv6-only-staging" else staging_ip
                if faulty and fault == "staging-servfail":
                    zone[staging_name] = Record(behaviour="servfail")
                elif faulty and fault == "dns-timeout":
                    zone[staging_name] = Record(behaviour="drop")
                elif faulty and fault == "cname-loop":
                    zone.cname(staging_name, f"loop-a.{akamai}-staging.net")
                    zone.cname(f"loop-a.{akamai}-staging.net", f"loop-b.{akamai}-staging.net")
                    zone.cname(f"loop-b.{akamai}-staging.net", staging_name)
                elif faulty and fault == "long-cname-chain":
                    hops = [staging_name] + [f"hop{k}.{akamai}-staging.net" for k in range(20)]
                    for a, b in itertools.pairwise(hops):
                        zone.cname(a, b)
                    zone.address(hops[-1], staging_ip)
                elif not (faulty and fault == "no-staging-record"):
                    zone.cname(staging_name, f"{akamai}-staging.net")
                    zone.address(f"{akamai}-staging.net", prod_ip if faulty and fault == "staging-is-production"
                                 else staging_ip)
                    if faulty and fault == "staging-no-answer":
                        zone[f"{akamai}-staging.net"] = Record()
                    if faulty and fault == "tcp-only-dns":
                        for name in (host, edge, f"{akamai}.net", staging_name, f"{akamai}-staging.net"):
                            if name.lower() in zone:
                                zone[name.lower()].behaviour = "tcp-only"

                served = [new_leaf, inter]
                if faulty and fault == "missing-intermediate":
                    served = [new_leaf]
                elif faulty and fault == "untrusted-ca":
                    rogue_root = pki.make_root("Unknown Root CA", org="Somebody Else")
                    rogue_inter = pki.make_intermediate("Unknown Issuing CA", rogue_root, org="Somebody Else")
                    served = [pki.make_leaf([host], rogue_inter), rogue_inter]
                elif faulty and fault == "hostname-mismatch":
                    served = [pki.make_leaf([self.hostname(dc, "someone-else")], inter), inter]
                elif faulty and fault == "expired-leaf":
                    served = [pki.make_leaf([host], inter, pki.NOW - 400 * pki.DAY, pki.NOW - pki.DAY), inter]
                elif faulty and fault == "short-lived-leaf":
                    served = [pki.make_leaf([host], inter, pki.NOW - pki.DAY, pki.NOW + 20 * pki.DAY), inter]
                elif faulty and fault == "hostile-names":
                    served = [pki.make_leaf([host], inter, org=HOSTILE), inter]
                elif faulty and fault == "leaf-without-san":
                    served = [pki.make_leaf([host], inter, san=False), inter]
                elif faulty and fault in ("not-staged-yet", "not-staged-urgent"):
                    served = [old_leaf, old_inter]
                elif faulty and fault == "chain-of-50":
                    filler = [pki.make_intermediate(f"Filler CA {k}", root) for k in range(48)]
                    served = [new_leaf, inter, *filler]
                elif faulty and fault == "huge-extension":
                    blob = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"),
                                                      b"\x04\x83\x01\x00\x00" + b"A" * 65536)
                    served = [pki.make_leaf([host], inter, extra=[(blob, False)]), inter]
                elif faulty and fault == "malformed-cert":
                    served = [pki.malformed(pki.make_leaf([host], inter)), inter]
                # The provider's bundle announces the leaf staging serves, where its intermediate issued it.
                announced = served[0] if served[0] is not new_leaf and fault != "malformed-cert" \
                    and served[0].cert.issuer == inter.cert.subject else new_leaf
                if faulty and fault == "staged-cert-not-in-bundle":
                    served = [pki.make_leaf([host], inter), inter]
                leaves[(dc, pod, "staging")], leaves[(dc, pod, "production")] = announced, old_leaf
                bundles[dc].append((f"{pod}.fa.{dc}.oraclecloud.com.crt.pem", announced.pem))
                behaviour = {"reset": "reset", "speaks-http": "http", "tls10-only": "tls10",
                             "ignores-sni": "ignore-sni"}.get(fault) if faulty else None
                if fault == "silent-dc" and dc == self.fault_dc:
                    behaviour = "silent"
                if faulty and fault == "ignores-sni":
                    served = [edge_default, edge_ca]
                self.staging_ips.append(staging_ip)
                if not (faulty and fault == "refused"):
                    endpoints.append(self._endpoint(staging_ip, host, served, f"{dc}-{pod}-staging", behaviour))
                if faulty and fault == "rolling-staging":  # a second staging address, not switched yet
                    rolling_ip = f"127.21.{i}.{j + 1}"
                    zone.address(f"{akamai}-staging.net", staging_ip, rolling_ip)
                    endpoints.append(self._endpoint(rolling_ip, host, [old_leaf, old_inter], f"{dc}-{pod}-staging2"))
                cut = fault == "after-cutover" or (fault == "partial-cutover" and i % 2 == 0) \
                    or (faulty and fault == "cutover-broke-trust")
                production = ([new_leaf] if faulty and fault == "cutover-broke-trust" else served) if cut \
                    else [old_leaf, old_inter]
                endpoints.append(self._endpoint(prod_ip, host, production, f"{dc}-{pod}-production"))
                self._switch[f"{dc}/{pod}"] = (prod_ip, host, served)

        for dc, members in bundles.items():
            with zipfile.ZipFile(w / "certs" / f"{dc}.zip", "w") as z:
                for name, data in members:
                    z.writestr(name, data)

        # The client's store, as an integration admin would have made it with keytool.
        entries: list[tuple[str, pki.Issued]] = [(ROOT_ALIAS, root), ("sandbox-root-2016", old_root)]
        if fault == "stale-intermediate":
            stale = pki.make_intermediate("Sandbox TLS Issuing CA G2 2026", root,
                                          pki.NOW - 400 * pki.DAY, pki.NOW - 30 * pki.DAY)
            entries.append((INTERMEDIATE_ALIAS, stale))
        elif fault == "intermediate-other-alias":
            entries.append(("issuing-ca-imported-by-hand", inter))
        elif fault not in ("missing-intermediate", "missing-intermediate-alias", "cutover-broke-trust"):
            entries.append((INTERMEDIATE_ALIAS, inter))
        partner_ca = pki.make_root("Partner Private CA", org="Partner Corp")
        partner_org = HOSTILE + "X" * 10_000 if fault == "hostile-names" else "Partner Corp"
        entries.append(("partner-sftp", pki.make_leaf(["sftp.partner.example"], partner_ca, org=partner_org)))
        if fault == "pinned-leaf":
            entries.append((f"{self.fault_dc}-lb-cert", leaves[(self.fault_dc, self.fault_pod, "staging")]))
        elif fault == "pinned-production-leaf":
            entries.append((f"{self.fault_dc}-prod-lb", leaves[(self.fault_dc, self.fault_pod, "production")]))
        self._make_store(keytool, entries)

        _raise_open_files_limit(len(endpoints) + 64)
        self._dns = DNSServer(zone, latency=self.latency_ms / 1000)
        self._tls = TLSServer(endpoints, *default_chain, latency=self.latency_ms / 1000)
        if self.scenario.proxy is not None:
            self.proxy = ConnectProxy(PROXY_HOST, self.scenario.proxy, user=PROXY_USER, password=self.proxy_password,
                                      forbidden=self.staging_ips, log_file=w / "proxy.log")
        self._write_config()

    def _write_chain(self, name: str, chain: list[pki.Issued]) -> tuple[Path, Path]:
        chain_file = self.workdir / "served" / f"{name}.pem"
        key_file = self.workdir / "served" / f"{name}.key"
        chain_file.write_bytes(b"".join(c.pem for c in chain))
        key_file.write_bytes(chain[0].key_pem)
        key_file.chmod(0o600)
        return chain_file, key_file

    def _endpoint(self, ip: str, host: str, chain: list[pki.Issued], name: str,
                  behaviour: str | None = None) -> Endpoint:
        return Endpoint(ip, host, *self._write_chain(name, chain), behaviour=behaviour)

    def _make_store(self, keytool: Path, entries: list[tuple[str, pki.Issued]]) -> None:
        self.password_file.write_text(self.password)
        self.password_file.chmod(0o600)
        for alias, issued in entries:
            cert_file = self.workdir / "certs" / f"store-{alias}.pem"
            cert_file.write_bytes(issued.pem)
            cmd = [str(keytool), "-importcert", "-noprompt", "-trustcacerts", "-alias", alias,
                   "-file", str(cert_file), "-keystore", str(self.truststore_path),
                   "-storepass:env", PASSWORD_ENV]
            done = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise SandboxError(f"keytool could not build the sandbox truststore: {done.stdout} {done.stderr}")
            cert_file.unlink()

    def _write_config(self) -> None:
        """Written once both servers are up: it names their address and port."""
        assert self._dns is not None and self._tls is not None
        dns_line = f'nameservers = ["{self._dns.host}:{self._dns.port}"]'
        port = self._tls.port
        s = self.scenario
        lines = [
            "# Written by the cutover sandbox: a SIMULATED staging edge on this machine. Not evidence.",
            "[sandbox]",
            f'scenario = "{s.name}"',
            f'description = "{s.description}"',
            "",
            "[defaults]",
            'app = "fa"',
            'hostname = "{pod}.{app}.{dc}.oraclecloud.com"',
            f"port = {port}",
            f'root_alias = "{ROOT_ALIAS}"',
            f'intermediate_alias = "{INTERMEDIATE_ALIAS}"',
            "timeout = 5",
            *(["dns_timeout = 1.5"] if s.name == "dns-timeout" else []),
            *(["connect_timeout = 1.5"] if s.name == "proxy-silent" else []),
            f"renewal_date = {(pki.NOW + RENEWAL_IN).date().isoformat()}",
            "min_days_after_renewal = 30",
            "",
            "[truststore]",
            f'path = "{self.truststore_path.name}"',
            f'password_env = "{PASSWORD_ENV}"',
            "",
            "[run]",
            dns_line,
            # Everything here is on loopback; only the split-horizon scenario shows the warning.
            f"allow_private_ips = {'false' if s.name == 'split-horizon' else 'true'}",
            # Direct unless the scenario has a proxy: this machine's HTTPS_PROXY has no business here.
            f'proxy = "{self.proxy.url if self.proxy is not None else "direct"}"',
            f'proxy_password_env = "{PROXY_PASSWORD_ENV}"',
        ]
        for dc in self.datacenters:
            pods = ", ".join(f'"{p}"' for p in self.pods())
            lines += ["", f"[datacenters.{dc}]", f'name = "{KNOWN_DATACENTERS.get(dc, dc)}"',
                      f"pods = [{pods}]", f'bundle = "certs/{dc}.zip"']
        self.config_path.write_text("\n".join(lines) + "\n")
