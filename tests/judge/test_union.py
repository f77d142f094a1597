"""A client that trusts several files together (WebLogic's Demo trust: DemoTrust.jks and the JDK's cacerts), judged
by the real JVM as the runtime judges it: one trust decision over every certificate of every file.

Stores are made by the real keytool; the server is the sandbox's staging edge on 127.0.0.0/8. Judging only the
first file of the list would be a false red here (the root is in the second) and, the other way round, a false
green elsewhere: these cases pin both.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.judge.java import JVM_SPEED_FLAGS, ProbeRun, find_java
from cutover.judge.wire import Job, StoreResult
from cutover.sandbox import INTERMEDIATE_ALIAS, ROOT_ALIAS, Sandbox, pki
from cutover.stores import truststore
from tests.conftest import make_store, run_gates
from tests.judge.test_real_client import INSTALLED, export, real_client
from tests.plugin.test_clients import clients_toml

pytestmark = pytest.mark.e2e  # starts the sandbox and JVMs: not in make test-fast

DC, POD = "us2", "acme"
PW, ENV = "union-Pa55", "UNION_PW"


class Edge:
    """The sandbox serving one pod, and keytool stores: `mine` (the person's own file: none of the provider's CAs),
    `demo` (the provider's root alone), `other` (someone else's root)."""

    def __init__(self, sb: Sandbox, folder: Path, keytool: Path) -> None:
        self.sb = sb
        self.root = export(keytool, sb.truststore_path, sb.password, ROOT_ALIAS, folder)
        self.inter = export(keytool, sb.truststore_path, sb.password, INTERMEDIATE_ALIAS, folder)
        self.mine = make_store(keytool, folder / "mine.jks", PW,
                               {"partner": pki.make_root("Partner Private CA", org="Partner Corp")}, "JKS")
        self.demo = make_store(keytool, folder / "demo.jks", PW, {"provider-root": self.root}, "JKS")
        self.other = make_store(keytool, folder / "other.p12", PW,
                                {"someone": pki.make_root("Someone Else's Root", org="Somebody")})
        self.host = sb.hostname(DC, POD)
        self.port = int(sb.config_path.read_text().split("\nport = ", 1)[1].split("\n", 1)[0])

    def judge(self, *stores: tuple[Path, ...], env: str = ENV) -> list[StoreResult]:
        """Each store (a tuple of files: a union when several) judged by one JVM on one handshake per address."""
        first, *more = stores
        run = ProbeRun(find_java(None), first, env, timeout=10, threads=2, more_stores=[(s, env) for s in more])
        jobs = [Job(f"{DC}/{POD}", ip, self.port, self.host) for ip in self.sb.staging_ips]
        return list(run.start().finish(jobs).stores)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, keytool: Path) -> Iterator[Edge]:
    with Sandbox("good", pods_per_dc=1, datacenters=(DC,)) as sb:
        yield Edge(sb, tmp_path_factory.mktemp("union"), keytool)


def test_the_union_trusts_a_root_only_its_second_file_holds(edge: Edge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, PW)
    second, neither, alone = edge.judge((edge.mine, edge.demo), (edge.mine, edge.other), (edge.mine,))
    [ip] = edge.sb.staging_ips
    verdict = second.verdicts[(f"{DC}/{POD}", ip, "now")]
    assert verdict.ok, verdict.reason
    # The listing says which file holds each entry, and the file's own type.
    assert second.store is not None and second.store.files == (edge.mine, edge.demo)
    assert [(e.alias, e.file) for e in second.store.entries] == [("partner", edge.mine), ("provider-root", edge.demo)]
    assert second.store.file_types == ("JKS", "JKS")
    # In neither file: not trusted, for want of a path (the fix plan's import), on the same handshake.
    refused = neither.verdicts[(f"{DC}/{POD}", ip, "now")]
    assert not refused.ok and refused.failure == "no_trust_path", refused.reason
    assert "unable to find valid certification path" in refused.reason
    assert neither.store is not None and neither.store.type_of(edge.other) == "PKCS12"
    # The first file alone is what judging one file would have said: the union is what changes the verdict.
    assert not alone.verdicts[(f"{DC}/{POD}", ip, "now")].ok


def test_a_file_of_the_union_that_does_not_load_is_named(edge: Edge, tmp_path: Path, keytool: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """One password for every file: a file with another password fails the whole union, naming that file, and no
    verdict is a pass (never a fallback to the files that did load); with none, Java and Python open both."""
    monkeypatch.setenv(ENV, PW)
    odd = make_store(keytool, tmp_path / "odd.jks", "other-Pa55", {"provider-root": edge.root}, "JKS")
    [result] = edge.judge((edge.mine, odd))
    assert result.store is None and result.store_error is not None
    assert result.store_error.startswith(f"{odd}: ") and "password was incorrect" in result.store_error
    verdict = next(iter(result.verdicts.values()))
    assert not verdict.ok and "could not be loaded by Java" in verdict.reason
    # With no password (password_env = ""), each JKS opens as Java opens one given none: whole, and trusted.
    [unlocked] = edge.judge((edge.mine, odd), env="")
    assert next(iter(unlocked.verdicts.values())).ok and unlocked.store is not None
    assert [e.alias for e in unlocked.store.entries] == [e.alias for e in truststore.read_files((edge.mine, odd),
                                                                                               None).entries]


def test_python_reads_the_union_as_the_jvm_lists_it(edge: Edge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, PW)
    [jvm] = edge.judge((edge.mine, edge.demo, edge.other))
    ours = truststore.read_files((edge.mine, edge.demo, edge.other), PW)
    assert jvm.store is not None
    assert [(e.alias, e.kind, e.file, e.cert and e.cert.sha256) for e in ours.entries] == \
        [(e.alias, e.kind, e.file, e.cert and e.cert.sha256) for e in jvm.store.entries]
    assert ours.files == jvm.store.files and ours.file_types == jvm.store.file_types == ("JKS", "JKS", "PKCS12")


def merged_copy(keytool: Path, files: tuple[Path, ...], into: Path) -> Path:
    """One store holding every certificate of `files`, made by keytool -importkeystore file by file."""
    for f in files:
        subprocess.run([str(keytool), *(f"-J{flag}" for flag in JVM_SPEED_FLAGS), "-importkeystore", "-noprompt",
                        "-srckeystore", str(f), "-srcstorepass:env", "PW", "-destkeystore", str(into),
                        "-deststoretype", "PKCS12", "-deststorepass:env", "PW"],
                       env={"PW": PW, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True, timeout=60)
    return into


@pytest.mark.slow  # a gate run, six keytool and three client JVMs: 20 s on a busy machine; the cases above stay fast
def test_the_gates_verdict_equals_the_real_client_on_the_union_modelled(
        pytester: pytest.Pytester, edge: Edge, keytool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The truth is the real client, with WebLogic's union modelled: a plain Java client (tests/judge/Client.java,
    HttpsURLConnection) cannot be given two stores by -D options (javax.net.ssl.trustStore names one file), so it
    runs on one store holding both files' certificates (keytool -importkeystore of each into a temporary file),
    which is what a runtime trusting the two files together trusts. The gates run on the two files as the
    datacenters file lists them; chain_trusted must equal that client, on trusted and untrusted cases."""
    sb = edge.sb
    cases = {"second": (edge.mine, edge.demo), "neither": (edge.mine, edge.other), "first": (edge.demo, edge.other)}
    tables = "".join(f'[clients.{name}]\ntruststore = {json.dumps([str(f) for f in files])}\npassword_env = "{ENV}"\n\n'
                     for name, files in cases.items())
    toml = tmp_path / "union.toml"
    toml.write_text(clients_toml(sb, tables).replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/'))
    monkeypatch.setenv(ENV, PW)
    run = run_gates(pytester, "--datacenters", str(toml))
    url = f"https://{edge.host}:{edge.port}/"
    table = []
    for name, files in cases.items():
        merged = merged_copy(keytool, files, tmp_path / f"{name}-merged.p12")
        for ip in sb.staging_ips:
            hosts = tmp_path / f"hosts-{ip}"
            hosts.write_text(f"{ip} {edge.host}\n")
            real = real_client(INSTALLED, (f"-Djavax.net.ssl.trustStore={merged}",), hosts, url, PW)
            suite = run.outcomes.get(("chain_trusted", f"{name}:{DC}/{POD}"))
            table.append((name, suite, real))
    said = "\n".join(f"{n}: suite {s}, real client {r[:160]}" for n, s, r in table)
    assert all((suite == "passed") == (real == "TRUSTED") for _, suite, real in table), said + run.output[-3000:]
    # Not two wrongs agreeing: the root is trusted from either file of a list, and from neither is not.
    assert {n for n, s, _ in table if s == "passed"} == {"second", "first"}, said
    assert "unable to find valid certification path" in run.messages[("chain_trusted", f"neither:{DC}/{POD}")]
    assert PW not in run.output
