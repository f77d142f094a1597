"""The run's model: pods, data centres and clients as datacenters.toml describes them, and its constants.

Kept apart from the readers (`cutover.config.load`) so that the code that only consumes a config (the
evidence, the gates, the report) depends on these few frozen records, not on how a toml file is checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cutover.config import proxy as proxy_mod

#: The provider's data centres, in the order of its table.
KNOWN_DATACENTERS: dict[str, str] = {
    "ca2": "CA2 - Toronto",
    "ca3": "CA3 - Calgary",
    "ap1": "AP1 - Sydney",
    "ap2": "AP2 - Singapore",
    "ap4": "AP4 - Melbourne",
    "ap5": "AP5 - Tokyo",
    "em2": "EM2 - Amsterdam",
    "em3": "EM3 - Slough",
    "em4": "EM4 - Frankfurt",
    "em5": "EM5 - Munich",
    "us1": "US1 - ADC",
    "us2": "US2 - Chicago",
    "us6": "US6 - Ashburn",
    "la1": "LA1 - Sao Paulo",
}

DEFAULT_PASSWORD_ENV = "CUTOVER_TRUSTSTORE_PASSWORD"
DEFAULT_PROXY_PASSWORD_ENV = "CUTOVER_PROXY_PASSWORD"

#: A client whose store is its JDK's default store, chosen as JSSE chooses it: lib/security/jssecacerts when
#: that file is there and readable (it shadows cacerts), else lib/security/cacerts.
JAVA_CACERTS = "java:cacerts"
#: The same choice under the name that says it: whatever JSSE takes when no option names a store.
JAVA_DEFAULT = "java:default"
#: The name of the one client of a file with no [clients] table; its ids carry no client prefix.
DEFAULT_CLIENT = "default"
#: Look-ups, handshakes and probes at a time. 64 resolves a typical run (14 data centres x 4 pods) in
#: one wave instead of two: `make bench` on 2 CPUs, median of alternated runs, 56 pods 1.76 -> 1.58 s,
#: 504 pods 8.21 -> 7.11 s. 128 bought 0.07 s more at 504 pods (bound by CPU there) for 5 MB, and 64
#: pods ask at most 128 DNS questions at once, under the 150 in flight a dnsmasq forwards by default.
DEFAULT_CONCURRENCY = 64


class ConfigError(Exception):
    """A mistake in datacenters.toml or in an option; the message is the whole explanation."""


@dataclass(frozen=True)
class Target:
    """One pod of one data centre: the unit the pod gates run on.

    Attributes:
        dc: data centre code, lower case (``us2``).
        pod: pod name as the user wrote it (``abcd-test``).
        hostname: the production hostname the client connects to, and the SNI we send.
        port: TLS port.
        staging_hostname: configured fallback staging name, used only when the CNAME chain has no
            Akamai edge hostname in it.
        timeout: seconds each network step may take, unless a step has its own below.
        dns_timeout: seconds all DNS look-ups of one name may take (the resolver's lifetime).
        connect_timeout: seconds a TCP connect may take.
        handshake_timeout: seconds a TLS handshake may take once connected.
        renewal_date: the provider's cutover day for this data centre, when known.
        min_days_after_renewal: the chain must still be valid this many days after the renewal date.
        warn_days: fail loudly when production's leaf expires this soon and staging still serves it.
        sr: the provider's service request this pod's evidence is attached to; None when not set.
    """

    dc: str
    pod: str
    hostname: str
    port: int
    staging_hostname: str | None
    timeout: float
    renewal_date: dt.date | None = None
    min_days_after_renewal: int = 30
    warn_days: int = 14
    dns_timeout: float = 10.0
    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    sr: str | None = None

    def later_dates(self) -> tuple[tuple[str, dt.datetime], ...]:
        """(label, instant) pairs the chain must also be valid at: the renewal date and N days after."""
        if self.renewal_date is None:
            return ()
        day = dt.datetime.combine(self.renewal_date, dt.time(), dt.UTC)
        after = day + dt.timedelta(days=self.min_days_after_renewal)
        return ((f"the renewal date {day:%Y-%m-%d}", day),
                (f"{self.min_days_after_renewal} days after the renewal date ({after:%Y-%m-%d})", after))

    @property
    def id(self) -> str:
        return f"{self.dc}/{self.pod}"


@dataclass(frozen=True)
class DataCenter:
    """One data centre of the provider with the pods this client uses there.

    `sr` is the data centre's own service request ([defaults] or its table): the SR its store gates go
    to when it has no pods; with pods, its store gates go to every SR of its pods (`srs`).
    """

    code: str
    name: str
    targets: tuple[Target, ...]
    bundle: Path | None
    root_alias: str | None
    intermediate_alias: str | None
    renewal_date: dt.date | None = None
    sr: str | None = None

    @property
    def srs(self) -> tuple[str, ...]:
        """The service requests whose per-SR report holds this data centre's store gates."""
        if self.targets:
            return tuple(dict.fromkeys(t.sr for t in self.targets if t.sr))
        return (self.sr,) if self.sr else ()

    @property
    def hostnames(self) -> tuple[str, ...]:
        return tuple(t.hostname for t in self.targets)


@dataclass(frozen=True)
class Client:
    """One Java integration: its store, its JDK and system properties, the data centres it talks to.

    A file with no [clients] table has exactly one, named ``default``, made of [truststore] and [run].

    Attributes:
        name: as in ``[clients.<name>]``; the prefix of its gate ids when the run has several clients.
        truststore: the store's file; None for ``java:cacerts``, the store of the client's JDK, found
            once its JDK is (see `cutover.judge.locate`).
        password_env: the environment variable holding the store's password; empty: no password. Only its
            name is kept: `cutover.stores.password` reads the value at the last moment.
        java_home: the client's JDK (or JRE); None: the run's (--java-home, JAVA_HOME, java on PATH).
        java_options: the run's system properties, then the client's own.
        datacenters: the codes of the data centres it talks to.
        store_from: who names the store: ``toml`` (truststore = path, opened by its content with the password
            of password_env), ``option`` (-Djavax.net.ssl.trustStore) or ``jdk`` (java:default / java:cacerts).
            The last two are opened as JSSE opens them: the type of -Djavax.net.ssl.trustStoreType, and a
            password only when password_env is set.
        working_dir: the folder the client's JVM starts in, which a relative -Djavax.net.ssl.trustStore is
            resolved from; None: not known.
        https_options: whether its HTTP stack applies -Dhttps.protocols and -Dhttps.cipherSuites to every
            connection, as HttpsURLConnection and Apache HttpClient with system properties do (``http_client``
            in the toml); False for java.net.http's HttpClient, OkHttp, Netty, which ignore them.
        union: the further files a runtime trusts together with `truststore` (``truststore = ["a", "b"]``:
            WebLogic's Demo trust reads DemoTrust.jks and the JDK's cacerts): one trust decision over every
            certificate of every file, each file's own gates. Empty for a client with one store.
    """

    name: str
    truststore: Path | None
    password_env: str
    java_home: Path | None
    java_options: tuple[str, ...]
    datacenters: tuple[str, ...]
    store_from: str = "toml"
    working_dir: Path | None = None
    https_options: bool = True
    union: tuple[Path, ...] = ()

    @property
    def store_files(self) -> tuple[Path, ...]:
        """Every file the client trusts, `truststore` first; () for the JDK's store, known once its JDK is."""
        return () if self.truststore is None else (self.truststore, *self.union)

    @property
    def cacerts(self) -> bool:
        return self.truststore is None

    @property
    def jsse(self) -> bool:
        """Whether the store is opened as JSSE opens its default trust store (an option's, or the JDK's)."""
        return self.store_from != "toml"


@dataclass(frozen=True)
class Notice:
    """Something in the datacenters file worth a look that does not stop the run (a pod written as an http://
    URL): shown as a Python warning located at the file and the line of the entry it is about.

    Attributes:
        text: what, why and the fix, in one sentence; the file is in the location, not in the text.
        path: the datacenters file.
        line: 1-based line of the entry; 0 when it could not be found.
    """

    text: str
    path: Path
    line: int


@dataclass(frozen=True)
class PodChoice:
    """One ``--pod``, in any of the forms the run prints a pod: ``abcd`` (that pod in every data centre),
    ``us2/abcd`` (that data centre's), ``soa:us2/abcd`` (and only client soa's gates of it).

    Attributes:
        text: as given, for messages.
        pod: the pod's id (its name, or its hostname's first label).
        dc: the data centre's code; None: every data centre that has such a pod.
        client: the client whose per-client gates run on it; None: every client's.
    """

    text: str
    pod: str
    dc: str | None = None
    client: str | None = None

    def chooses(self, dc: str, pod: str) -> bool:
        return pod == self.pod and self.dc in (None, dc)


@dataclass(frozen=True)
class Config:
    """Everything one run needs to know, after command-line options were applied."""

    path: Path
    datacenters: tuple[DataCenter, ...]
    clients: tuple[Client, ...]
    nameservers: tuple[tuple[str, int], ...] = ()
    java_home: Path | None = None
    java_options: tuple[str, ...] = ()
    at: dt.datetime | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    allow_private_ips: bool = False
    proxy: proxy_mod.Proxy | None = None
    sandbox_scenario: str | None = None
    sandbox_description: str = ""
    #: What the run shows before any test (a pod written as an http:// URL): accepted, but worth a look.
    warnings: tuple[Notice, ...] = ()
    #: The --pod options: when given, only these pods' gates run, and no data centre (store) gate.
    pod_choices: tuple[PodChoice, ...] = ()
    #: (data centre code or pod id, its line in the file): where a warning about it points.
    key_lines: tuple[tuple[str, int], ...] = ()
    #: [run] series: the history series the run belongs to; None: the datacenters file's name (`series_name`).
    series: str | None = None

    @property
    def series_name(self) -> str:
        """The series of runs this one belongs to in the history folder: ``[run] series``, else the datacenters
        file's name. Not its absolute path: a CI job's checkout lies elsewhere every night. A file the sandbox
        wrote is a series of the sandbox's (its scenarios one series: a test plays a renewal scenario by scenario),
        so that ``make demo``'s evidence in ./reports is never the baseline of a real run of ./datacenters.toml."""
        if self.series:
            return self.series
        return f"sandbox: {self.path.name}" if self.simulated else self.path.name

    @cached_property
    def targets(self) -> tuple[Target, ...]:
        return tuple(t for dc in self.datacenters for t in dc.targets)

    def line_of(self, key: str) -> int:
        """The line of a data centre's table or a pod's entry (``us2``, ``us2/abcd``) in the file; 0 if unknown."""
        return self._lines.get(key, 0)

    @cached_property
    def _lines(self) -> dict[str, int]:
        return dict(self.key_lines)

    @cached_property
    def target_by_id(self) -> dict[str, Target]:
        """Every pod by its id (``us2/acme``): a gate's record finds its pod here, not by a scan of them all
        (0.09 s of a 504-pod run's records)."""
        return {t.id: t for t in self.targets}

    @property
    def srs(self) -> tuple[str, ...]:
        """Every service request of the run, in the order of the file."""
        return tuple(dict.fromkeys(sr for dc in self.datacenters for sr in (*dc.srs, dc.sr) if sr))

    @property
    def several_clients(self) -> bool:
        """Whether gate ids carry the client's name (``soa:us2/pod``), as they do with more than one."""
        return len(self.clients) > 1

    def client_datacenters(self, client: Client) -> tuple[DataCenter, ...]:
        return tuple(dc for dc in self.datacenters if dc.code in client.datacenters)

    def jvm_proxy(self, client: Client | None = None) -> proxy_mod.Proxy | None:
        """The proxy a client's JVM goes through (default: the first client's): its own -Dhttps.proxyHost,
        else the run's."""
        return proxy_mod.client_proxy((client or self.clients[0]).java_options, self.proxy)

    @property
    def simulated(self) -> bool:
        """True when the file was written by the sandbox: such a run is never evidence."""
        return self.sandbox_scenario is not None


@dataclass(frozen=True)
class Overrides:
    """What the command line says over datacenters.toml, as one record: the plugin builds it from its options and
    `cutover prepare` from its own, and `cutover.config.load` applies it (the command line wins over the file).

    Attributes:
        truststore: --truststore, the client's store instead of the file's.
        nameservers: --nameserver, the resolvers to ask instead of [run] nameservers.
        java_home: --java-home, the client's JDK.
        only_dcs: --dc, the data centres to check (all when empty).
        only_pods: --pod, the pods to check as the run prints them (``abcd``, ``us2/abcd``, ``soa:us2/abcd``).
        java_options: --java-option, system properties the client's JVM runs with.
        at: --at, the date or instant to judge at.
        timeouts: --timeout and the per-step timeouts, by option name (None: not given).
        concurrency: --concurrency.
        only_clients: --client, the clients to judge (all when empty).
        proxy: --proxy; no_proxy: --no-proxy.
        sr: --sr, one service request for the whole run.
    """

    truststore: Path | None = None
    nameservers: Sequence[str] = ()
    java_home: Path | None = None
    only_dcs: Sequence[str] = ()
    only_pods: Sequence[str] = ()
    java_options: Sequence[str] = ()
    at: str | None = None
    timeouts: Mapping[str, float | None] = field(default_factory=dict)
    concurrency: int | None = None
    only_clients: Sequence[str] = ()
    proxy: str | None = None
    no_proxy: bool = False
    sr: str | None = None
