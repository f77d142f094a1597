"""The chain_trusted verdict on 29 PKI scenarios, under every JDK on this machine and without one.

Certificates from cryptography, served by the sandbox's TLS endpoints on 127.31.0.0/16, stores made
by the real keytool, one probe JVM per store and JDK. Each case asserts the gate's verdict and message.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from cutover.base.instants import format_instant
from cutover.config import Target
from cutover.evidence import PodEvidence, PodTrust
from cutover.gates.chain_trusted import chain_trusted
from cutover.judge import python as pyjudge
from cutover.judge.java import ProbeRun, java_version
from cutover.judge.wire import Job, TrustVerdict
from cutover.net.dns import StagingEvidence
from cutover.net.tls import ChainFetch, fetch_chain
from cutover.sandbox import pki
from cutover.sandbox.tlsserver import Endpoint, TLSServer
from cutover.stores import truststore
from tests.conftest import make_store
from tests.judge.trust_matrix import Case, build

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

PASSWORD = "Matrix-Pa55"
CASES = build()


def jdks() -> list[Path]:
    """Every JDK home under /usr/lib/jvm with a java that can run the probe, each real one once."""
    seen: dict[Path, Path] = {}
    for java in sorted(Path("/usr/lib/jvm").glob("*/bin/java")):
        if (java.parent / "javac").exists():
            seen.setdefault(java.resolve(), java.parent.parent)
    return list(seen.values())


JDKS = jdks()


def jdk_params() -> list[object]:
    """The machine's default JDK (the one on PATH, which .ci/run installs) in make test; every other JDK here in the
    slow tier, which .ci/run also runs: a JDK's matrix starts a probe JVM per case's store."""
    default = Path(shutil.which("java") or "/usr/bin/java").resolve()
    return [pytest.param(j, id=j.name, marks=() if (j / "bin" / "java").resolve() == default else pytest.mark.slow)
            for j in JDKS]


@dataclass
class Matrix:
    ips: dict[str, str]
    fetches: dict[str, ChainFetch]
    stores: dict[str, Path]
    port: int


def _write(folder: Path, name: str, chain: tuple[pki.Issued, ...]) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    cert.write_bytes(b"".join(c.pem for c in chain))
    key.write_bytes(chain[0].key_pem)
    return cert, key


def store_key(case: Case) -> str:
    """Cases whose stores hold the same entries share one store (and one probe JVM per JDK)."""
    return "-".join(f"{alias}={issued.cert.serial_number:x}" for alias, issued in sorted(case.store.items()))


def _make_store(folder: Path, case: Case) -> Path:
    return make_store(Path(shutil.which("keytool") or "keytool"), folder / f"store-{case.name}.p12", PASSWORD,
                      case.store)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    folder = tmp_path_factory.mktemp("matrix")
    ips = {c.name: f"127.31.0.{i + 1}" for i, c in enumerate(CASES)}
    # The server sees the name as SNI carries it: an IDN host as its A-label (Java's SNIHostName, Python's ssl).
    endpoints = [Endpoint(ips[c.name], c.host.encode("idna").decode(), *_write(folder, c.name, c.served))
                 for c in CASES]
    default_ca = pki.make_root("Matrix Default Edge")
    server = TLSServer(endpoints, *_write(folder, "default", (pki.make_leaf(["default.invalid"], default_ca),)))
    try:
        firsts = list({store_key(c): c for c in reversed(CASES)}.values())
        with ThreadPoolExecutor(8) as pool:
            made = dict(zip([store_key(c) for c in firsts], pool.map(lambda c: _make_store(folder, c), firsts),
                            strict=True))
            stores = {c.name: made[store_key(c)] for c in CASES}
            fetched = pool.map(lambda c: fetch_chain(ips[c.name], server.port, c.host, 5), CASES)
            fetches = dict(zip([c.name for c in CASES], fetched, strict=True))
        yield Matrix(ips, fetches, stores, server.port)
    finally:
        server.stop()


_VERDICTS: dict[Path, dict[str, TrustVerdict]] = {}


def jvm_verdicts(matrix: Matrix, jdk: Path) -> dict[str, TrustVerdict]:
    """One probe JVM per case's store under `jdk`, all started at once; cached per JDK."""
    if jdk not in _VERDICTS:
        env_backup = os.environ.get("MATRIX_PW")
        os.environ["MATRIX_PW"] = PASSWORD
        try:
            groups: dict[Path, list[Case]] = {}
            for c in CASES:
                groups.setdefault(matrix.stores[c.name], []).append(c)
            runs = {store: ProbeRun(jdk / "bin" / "java", store, "MATRIX_PW", timeout=10, threads=8).start()
                    for store in groups}
            out = {}
            for store, cases in groups.items():
                result = runs[store].finish([Job(c.name, matrix.ips[c.name], matrix.port, c.host, (when(c),))
                                             for c in cases])
                out |= {c.name: result.stores[0].verdicts[(c.name, matrix.ips[c.name], when(c))] for c in cases}
        finally:
            if env_backup is None:
                os.environ.pop("MATRIX_PW", None)
        _VERDICTS[jdk] = out
    return _VERDICTS[jdk]


def when(case: Case) -> str:
    """What the JVM is asked, as a run with ``--at`` asks it: the evidence's own formatting of the instant."""
    return format_instant(case.at) if case.at else "now"


def major(jdk: Path) -> int:
    version = java_version(jdk / "bin" / "java") or "0"
    return int(version.split(".")[0]) if not version.startswith("1.") else int(version.split(".")[1])


def pod(case: Case, matrix: Matrix) -> PodEvidence:
    target = Target("us2", "pod", case.host, matrix.port, None, 5.0)
    staging = StagingEvidence(case.host, staging_ips=(matrix.ips[case.name],))
    return PodEvidence(target, staging, (matrix.fetches[case.name],), ())


@pytest.mark.skipif(not JDKS, reason="no JDK under /usr/lib/jvm")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("jdk", jdk_params())
def test_gate_under_each_jdk(matrix: Matrix, jdk: Path, case: Case) -> None:
    verdict = jvm_verdicts(matrix, jdk)[case.name]
    expected = case.jvm_for(major(jdk))
    assert verdict.ok is expected, f"{case.name} under {jdk.name}: {verdict.reason}"
    gate = chain_trusted(pod(case, matrix), PodTrust((verdict,)), at=case.at)
    assert gate.ok is expected
    assert not case.at or f"(judged at {when(case)})" in gate.message, gate.message
    if expected:
        assert gate.message.startswith(f"the JVM trusts the chain served at staging {matrix.ips[case.name]}")
    else:
        assert f"the JVM rejects the chain at staging {matrix.ips[case.name]} for {case.host}" in gate.message
        assert case.says in gate.message, gate.message


def python_verdict(case: Case, matrix: Matrix) -> TrustVerdict:
    store = truststore.read(matrix.stores[case.name], PASSWORD)
    fetch = matrix.fetches[case.name]
    assert fetch.error is None, fetch.error
    return pyjudge.verify(case.name, fetch.ip, fetch.chain, case.host, [e.cert for e in store.trusted], case.at)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_python_engine_verdict(matrix: Matrix, case: Case) -> None:
    verdict = python_verdict(case, matrix)
    assert verdict.ok is case.python, verdict.reason
    gate = chain_trusted(pod(case, matrix), PodTrust((verdict,)), engine_note=f"{pyjudge.APPROXIMATE}: test",
                         at=case.at)
    assert gate.ok is case.python
    assert gate.message.startswith("[approximate: no JVM: test]")


def test_strict_advice_beside_the_jvm(matrix: Matrix) -> None:
    """Where the JVM accepts and cryptography would not, the gate passes and says so as advice."""
    case = next(c for c in CASES if c.name == "leaf-without-san")
    ok = TrustVerdict(case.name, matrix.ips[case.name], True, "trusted")
    gate = chain_trusted(pod(case, matrix), PodTrust((ok,), (), (python_verdict(case, matrix),)))
    assert gate.ok
    assert any("the JVM accepts the chain" in w and "a web-PKI client" in w for w in gate.warnings), gate.warnings


def test_python_agreement_is_what_the_trust_page_says() -> None:
    """docs/trust.md states the Python engine's agreement with the JVM and lists every divergence."""
    reference = 17
    diverging = [c.name for c in CASES if c.python != c.jvm_for(reference)]
    readme = (Path(__file__).parents[2] / "docs" / "trust.md").read_text()
    agree = len(CASES) - len(diverging)
    assert f"agrees with the JVM on {agree} of {len(CASES)} scenarios" in readme
    for name in diverging:
        assert f"`{name}`" in readme, f"docs/trust.md does not list the divergence {name}"


@pytest.mark.skipif(not JDKS, reason="no JDK under /usr/lib/jvm")
@pytest.mark.parametrize("jdk", jdk_params())
def test_the_approximate_engine_has_no_false_accept(matrix: Matrix, jdk: Path) -> None:
    """Over the whole matrix: where the live JVM rejects, the approximate engine never accepts (it may be
    stricter, and says so). Each false accept is shown with Java's verdict beside ours."""
    live = jvm_verdicts(matrix, jdk)
    ours = {c.name: python_verdict(c, matrix) for c in CASES}
    false_accepts = [f"{name}: Java: {live[name].reason} | ours: {v.reason}" for name, v in ours.items()
                     if v.ok and not live[name].ok]
    assert false_accepts == [], "\n".join(false_accepts)


FALSE_GREENS = [c for c in CASES if c.name in ("name-constraints-on-alternate-path", "leaf-notafter-plus-1ms",
                                               "leaf-notafter-plus-5ms", "idn-host-punycode-san")]


@pytest.mark.parametrize("case", FALSE_GREENS, ids=[c.name for c in FALSE_GREENS])
def test_where_cryptography_is_looser_than_java_the_engine_rejects_and_says_why(matrix: Matrix, case: Case) -> None:
    """Each class of issue 25: cryptography alone would accept (or cannot compare the name), the live JVM
    rejects (or folds the name its own way), and the approximate engine rejects, saying it is approximate."""
    verdict = python_verdict(case, matrix)
    assert not verdict.ok
    assert verdict.reason.startswith(pyjudge.STRICTER), verdict.reason
    for jdk in JDKS:
        live = jvm_verdicts(matrix, jdk)[case.name]
        assert live.ok is case.jvm_for(major(jdk)), f"Java ({jdk.name}): {live.reason} | ours: {verdict.reason}"
