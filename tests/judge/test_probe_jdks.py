"""The probe is Java 8 source, compiled with --release 8 by any JDK 9+ found, and run by the client's own
java, which may be a JRE without a compiler: here JDK 17 and, where installed, Temurin 25."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cutover.judge import cds
from cutover.judge import java as javajudge
from cutover.judge.java import ProbeRun, compiled_probe, find_java
from cutover.judge.wire import Job
from cutover.sandbox import PASSWORD_ENV, Sandbox

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

JDKS = {17: Path("/usr/lib/jvm/java-17-openjdk-amd64"), 25: Path("/usr/lib/jvm/temurin-25-jdk-amd64")}


def test_probe_class_is_java_8_bytecode() -> None:
    try:
        java = find_java(None)
    except javajudge.JudgeUnavailable as e:
        pytest.skip(f"no JDK: {e} (.ci/run installs openjdk-17-jdk-headless)")
    classes = compiled_probe(java)
    assert classes is not None, "a JDK 9+ javac is on this machine: it must compile the probe"
    head = (classes / "Probe.class").read_bytes()[:8]
    assert head[:4] == b"\xca\xfe\xba\xbe" and int.from_bytes(head[6:8], "big") == 52  # 52: Java 8


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    with Sandbox("good", pods_per_dc=1, datacenters=("us2",)) as sb:
        yield sb


@pytest.mark.parametrize("major", sorted(JDKS))
def test_a_jre_without_javac_runs_the_compiled_probe(major: int, sandbox: Sandbox, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = JDKS[major]
    if not (home / "bin" / "java").is_file():
        pytest.skip(f"JDK {major} is not installed at {home} (Temurin 25 is optional; JDK 17 comes from .ci/run)")
    if javajudge.find_javac() is None:
        pytest.skip("no JDK 9+ javac on PATH or JAVA_HOME to compile the probe with")
    # A JRE: bin/java and nothing else, so the compiler must come from elsewhere (PATH, JAVA_HOME).
    jre = tmp_path / f"jre{major}"
    (jre / "bin").mkdir(parents=True)
    java = jre / "bin" / "java"
    java.write_text(f'#!/bin/sh\nexec "{home}/bin/java" "$@"\n')
    java.chmod(0o755)
    monkeypatch.setenv(PASSWORD_ENV, sandbox.password)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    run = ProbeRun(java, sandbox.truststore_path, PASSWORD_ENV, timeout=5).start()
    try:
        port = int(next(line for line in sandbox.config_path.read_text().splitlines()
                        if line.startswith("port")).split("=")[1])
        host = sandbox.hostname("us2", "acme")
        ip = f"127.20.{sandbox.place('us2')}.1"
        result = run.finish([Job("us2/acme", ip, port, host, ("now",))])
    finally:
        run.stop()
    assert run.classes is not None and not (jre / "bin" / "javac").exists()
    assert cds.major(result.jvm.version) == major
    verdict = result.stores[0].verdicts[("us2/acme", ip, "now")]
    assert verdict.ok, verdict.reason
    assert os.path.samefile(result.jvm.home, home) or str(home) in result.jvm.home
