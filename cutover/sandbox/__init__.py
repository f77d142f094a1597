"""The simulated staging edge: real DNS and real TLS on 127.0.0.0/8, a generated PKI, a keytool store.

Production hostnames CNAME to ``X.edgekey.net`` whose addresses serve the old chain; the staging twin
``X.edgekey-staging.net`` serves the new one. The sandbox writes its own datacenters.toml, provider
bundles and a truststore made by the real keytool, so ``pytest --datacenters`` runs every gate
against it exactly as against the provider. Named scenarios put one fault on one pod (``us2``'s
first by default) so a user can see what each failure looks like, and the suite's own tests can
prove each gate catches its fault.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cutover.config import KNOWN_DATACENTERS
from cutover.sandbox import jdk, pki
from cutover.sandbox.build import build, endpoint, find_keytool, make_store, places
from cutover.sandbox.dnsserver import DNSServer
from cutover.sandbox.proxy import ConnectEntry, ConnectProxy
from cutover.sandbox.scenario import (
    DNS_FAULT,
    HOSTILE,
    INTERMEDIATE_ALIAS,
    PASSWORD_ENV,
    POD_NAMES,
    PROXY_FAULT,
    RENEWAL_IN,
    ROOT_ALIAS,
    TLS_FAULT,
    ClientDraft,
    Pod,
    SandboxError,
    Scenario,
    dc_alias,
    hostname,
)
from cutover.sandbox.scenarios import SCENARIOS
from cutover.sandbox.tlsserver import TLSServer

__all__ = [
    "DNS_FAULT", "HOSTILE", "INTERMEDIATE_ALIAS", "PASSWORD_ENV", "POD_NAMES", "PROXY_FAULT", "PROXY_HOST",
    "PROXY_PASSWORD_ENV", "PROXY_USER", "RENEWAL_IN", "ROOT_ALIAS", "SCENARIOS", "TLS_FAULT", "Sandbox",
    "SandboxError", "Scenario", "dc_alias", "find_keytool",
]

#: The sandbox's proxy: an address of its own, so its log tells proxied connections from direct ones.
PROXY_HOST = "127.30.0.1"
PROXY_USER = "qa-runner"
PROXY_PASSWORD_ENV = "CUTOVER_SANDBOX_PROXY_PASSWORD"


#: Scenario settings that belong in [run]; every other one goes to [defaults].
_RUN_SETTINGS = ("allow_private_ips",)


def _raise_open_files_limit(needed: int) -> None:
    """Hundreds of pods mean hundreds of listening sockets: lift the soft limit toward the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed * 2:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed * 2, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Sandbox:
    """Build and serve a simulated staging edge in `workdir` (a new temporary folder when None)."""

    def __init__(self, scenario: str = "good", workdir: Path | None = None, pods_per_dc: int = 2,
                 datacenters: tuple[str, ...] = tuple(KNOWN_DATACENTERS), fault_dc: str = "us2",
                 password: str | None = None, latency_ms: int = 0,
                 hostnames: Mapping[str, Sequence[str]] | None = None, truststore: Path | None = None) -> None:
        """`hostnames` (data centre -> hostnames) gives those data centres pods of their own hostnames
        (``fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com``), added to `datacenters` when not in it.
        `truststore`: where to write the client's store instead of `workdir` (it is left there at stop), so that
        the fix plan of a run with its own temporary folder names a store that outlives it."""
        if scenario not in SCENARIOS:
            raise SandboxError(f"unknown sandbox scenario {scenario!r}; known: {', '.join(SCENARIOS)}.")
        if not 1 <= pods_per_dc <= 250:
            raise SandboxError("pods per data centre must be between 1 and 250.")
        if password and len(password) < 6:  # keytool's own minimum: said here, naming where it came from
            raise SandboxError(f"the sandbox's truststore password (${PASSWORD_ENV}) has {len(password)} characters; "
                               f"keytool needs at least 6. Set a longer one, or unset {PASSWORD_ENV} for a generated "
                               "one.")
        self.scenario = SCENARIOS[scenario]
        self._own_dir = workdir is None
        self._truststore = Path(truststore).resolve() if truststore is not None else None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cutover-sandbox-"))
        self.pods_per_dc = pods_per_dc
        self.hostnames = {dc: tuple(h.lower().rstrip(".") for h in hosts) for dc, hosts in (hostnames or {}).items()}
        if any(not hosts for hosts in self.hostnames.values()):
            raise SandboxError("every data centre of hostnames= needs at least one hostname.")
        self.datacenters = (*datacenters, *(dc for dc in self.hostnames if dc not in datacenters))
        self.fault_dc = fault_dc if fault_dc in self.datacenters else self.datacenters[0]
        self.fault_pod = self.pods_of(self.fault_dc)[0]
        self.password = password or secrets.token_urlsafe(18)
        self.latency_ms = latency_ms  # added to every DNS answer and every TLS accept, to measure speed
        self._dns: DNSServer | None = None
        self._tls: TLSServer | None = None
        self.proxy: ConnectProxy | None = None
        self.proxy_password = secrets.token_urlsafe(12)
        self.staging_ips: list[str] = []
        self._switch: dict[str, tuple[str, str, list[pki.Issued]]] = {}  # pod id -> production IP, host, new chain
        self._client: ClientDraft | None = None
        self.java_home: Path | None = None  # the client's JDK copy, for a scenario whose JDK holds other stores

    # -- naming -------------------------------------------------------------------------------------
    def pods(self) -> list[str]:
        return [POD_NAMES[i] if i < len(POD_NAMES) else f"acme-{i}" for i in range(self.pods_per_dc)]

    def pods_of(self, dc: str) -> list[str]:
        """A data centre's pod ids: its hostnames' first labels when it has hostnames, else `pods`."""
        return [h.split(".")[0] for h in self.hostnames[dc]] if dc in self.hostnames else self.pods()

    @staticmethod
    def hostname(dc: str, pod: str) -> str:
        return hostname(dc, pod)

    def place(self, dc: str) -> int:
        """The data centre's place, its pods' addresses' third octet (`cutover.sandbox.build.places`): us2's pods
        are at 127.20.11.x and 127.10.11.x whichever data centres this sandbox serves."""
        return places(self.datacenters)[dc]

    @property
    def fault_id(self) -> str:
        return f"{self.fault_dc}/{self.fault_pod}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "datacenters.toml"

    @property
    def truststore_path(self) -> Path:
        return self._truststore or self.workdir / "client-truststore.jks"

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
            self._tls.serve(endpoint(self.workdir, ip, host, chain, f"{pid.replace('/', '-')}-production-switched"))

    # -- building -----------------------------------------------------------------------------------
    def _build_and_serve(self) -> None:
        keytool = find_keytool()
        built, entries = build(self.scenario, self.workdir, self.datacenters, self.pods(), self.fault_id,
                               self.hostnames)
        self.staging_ips = built.staging_ips
        self._switch = built.switch
        self.password_file.write_text(self.password)
        self.password_file.chmod(0o600)
        self.truststore_path.parent.mkdir(parents=True, exist_ok=True)
        self.truststore_path.unlink(missing_ok=True)  # keytool adds to a store that exists
        make_store(keytool, self.workdir, self.truststore_path, entries, self.env())
        self._client = self._client_draft(built.pods[self.fault_id], keytool)
        _raise_open_files_limit(len(built.endpoints) + 64)
        self._dns = DNSServer(built.zone, latency=self.latency_ms / 1000)
        self._tls = TLSServer(built.endpoints, *built.default_chain, latency=self.latency_ms / 1000)
        if self.scenario.proxy is not None:
            self.proxy = ConnectProxy(PROXY_HOST, self.scenario.proxy, user=PROXY_USER, password=self.proxy_password,
                                      forbidden=self.staging_ips, log_file=self.workdir / "proxy.log")
        self._write_config()

    def _client_draft(self, fault: Pod, keytool: Path) -> ClientDraft:
        """The client's lines of the datacenters.toml, as the scenario's `client` hook leaves them; a JDK copy
        (made once per folder: `jdk.JDKS_ENV`'s, else this sandbox's) when the client needs stores of its own JDK;
        the further files of a client that trusts several together, beside its store (so they outlive the sandbox
        with it: a fix plan may name one)."""
        def named(store: Path) -> str:
            return store.name if self._truststore is None else store.as_posix()

        lines = [f'path = "{named(self.truststore_path)}"', f'password_env = "{PASSWORD_ENV}"']
        draft = ClientDraft(fault.ca, self.truststore_path, lines, fault=fault)
        if self.scenario.client is not None:
            self.scenario.client(draft)
        if draft.union:
            files = [self.truststore_path.with_name(f"{self.truststore_path.stem}-{name}") for name in draft.union]
            for store, entries in zip(files, draft.union.values(), strict=True):
                store.unlink(missing_ok=True)  # keytool adds to a store that exists
                make_store(keytool, self.workdir, store, list(entries), self.env(), store_type="JKS")
            draft.truststore = [f"path = {json.dumps([named(f) for f in (self.truststore_path, *files)])}",
                                *(line for line in draft.truststore if not line.startswith("path ="))]
        if draft.jdk_stores:
            kept = os.environ.get(jdk.JDKS_ENV)
            self.java_home = jdk.copy(Path(kept) / self.scenario.name if kept else self.workdir / "jdk")
            jdk.write_stores(self.java_home, draft.jdk_stores, keytool, self.workdir)
        return draft

    def _write_config(self) -> None:
        """Written once both servers are up: it names their address and port."""
        assert self._dns is not None and self._tls is not None and self._client is not None
        client = self._client
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
            *(f"{key} = {value}" for key, value in s.config if key not in _RUN_SETTINGS),
            f"renewal_date = {(pki.NOW + RENEWAL_IN).date().isoformat()}",
            "min_days_after_renewal = 30",
            "",
            "[truststore]",
            *client.truststore,
            "",
            "[run]",
            dns_line,
            # Everything here is on loopback: the warning would name every pod (split-horizon wants it).
            f"allow_private_ips = {s.setting('allow_private_ips', 'true')}",
            # Direct unless the scenario has a proxy: this machine's HTTPS_PROXY has no business here.
            f'proxy = "{self.proxy.url if self.proxy is not None else "direct"}"',
            f'proxy_password_env = "{PROXY_PASSWORD_ENV}"',
            *([f"java_options = [{', '.join(json.dumps(o) for o in client.java_options)}]"] if client.java_options
              else []),
            *([f"java_home = {json.dumps(str(self.java_home))}"] if self.java_home else []),
        ]
        for dc in self.datacenters:
            pods = ", ".join(f'"{p}"' for p in self.hostnames.get(dc, self.pods()))
            lines += ["", f"[datacenters.{dc}]", f'name = "{KNOWN_DATACENTERS.get(dc, dc)}"',
                      f"pods = [{pods}]", f'bundle = "certs/{dc}.zip"',
                      *(f'{role}_alias = "{dc_alias(dc, role)}"' for role in ("root", "intermediate") if s.dc_aliases)]
        self.config_path.write_text("\n".join(lines) + "\n")
