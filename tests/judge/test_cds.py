"""The probe's class-data archive (cutover.judge.cds): made once per JDK, mapped after, made again when the JDK
or the archive changes, and never in the way of a verdict.

The unit tests use a JDK's files laid out by hand (``release``, ``lib/server/libjvm.so``); the e2e ones run
the real probe JVM. JDK 17 dies of SIGBUS on a truncated archive, which is why a truncated one must be
made again, never handed to the JVM.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cutover.judge import cds
from cutover.judge.java import JudgeUnavailable, ProbeRun, find_java
from cutover.judge.wire import ProbeResult
from cutover.sandbox import pki
from tests.conftest import make_store

PASSWORD = "Cds-Pa55word"
TEMURIN_25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")


def fake_jdk(root: Path, version: str | None = "17.0.15") -> Path:
    """A JDK's files as cds reads them, and a folder of compiled probe classes; returns its bin/java."""
    (root / "bin").mkdir(parents=True)
    (root / "lib" / "server").mkdir(parents=True)
    (root / "bin" / "java").write_text("#!/bin/sh\n")
    (root / "lib" / "server" / "libjvm.so").write_bytes(b"\x7fELF")
    if version is not None:
        (root / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    (root / "classes").mkdir()
    (root / "classes" / "Probe.class").write_bytes(b"\xca\xfe\xba\xbe")
    return root / "bin" / "java"


@pytest.mark.parametrize("version", [None, "11.0.22", "1.8.0_392", "12"])
def test_no_archive_where_the_jdk_cannot_make_one_or_cannot_be_told(tmp_path: Path, version: str | None) -> None:
    java = fake_jdk(tmp_path, version)
    assert cds.prepare(java, tmp_path / "classes") is None
    assert cds.prepare(fake_jdk(tmp_path / "new", "13"), tmp_path / "new" / "classes") is not None  # the boundary


def test_the_archive_is_keyed_by_the_jdk_its_files_and_the_options(tmp_path: Path) -> None:
    java = fake_jdk(tmp_path)
    classes = tmp_path / "classes"

    def path(options: tuple[str, ...] = ()) -> Path:
        archive = cds.prepare(java, classes, options)
        assert archive is not None and archive.dumping is not None  # nothing made yet: this JVM makes it
        return archive.path

    first = path()
    assert path() == first
    libjvm = tmp_path / "lib" / "server" / "libjvm.so"
    os.utime(libjvm, ns=(libjvm.stat().st_atime_ns, libjvm.stat().st_mtime_ns + 10**9))  # an update in place
    updated = path()
    (tmp_path / "release").write_text('JAVA_VERSION="17.0.16"\n')
    assert len({first, updated, path(), path(("-Xmx64m",))}) == 4
    assert path(("-Dcom.sun.net.ssl.checkRevocation=true",)) == path()  # a system property: the same archive
    assert (classes / cds.JAR).is_file()
    assert cds.prepare(java, classes, ("-Xshare:off",)) is None  # the client's own choice of class sharing wins


def test_an_archive_is_mapped_only_while_it_is_the_one_made_here(tmp_path: Path) -> None:
    java = fake_jdk(tmp_path)
    classes = tmp_path / "classes"
    making = cds.prepare(java, classes)
    assert making is not None and making.dumping is not None
    assert f"-XX:ArchiveClassesAtExit={making.dumping}" in making.flags and "-Xlog:cds=off" in making.flags
    making.dumping.write_bytes(b"archive" * 1000)
    making.settle(0)
    assert making.path.is_file() and not making.dumping.exists()

    mapped = cds.prepare(java, classes)
    assert mapped is not None and mapped.dumping is None
    assert f"-XX:SharedArchiveFile={making.path}" in mapped.flags
    mapped.settle(0)  # nothing to do for a JVM that mapped it
    assert making.path.read_bytes() == b"archive" * 1000

    with making.path.open("r+b") as f:  # truncated: the JVM would map it and die
        f.truncate(100)
    again = cds.prepare(java, classes)
    assert again is not None and again.dumping is not None


def test_a_stopped_jvm_leaves_nothing_and_a_jdk_that_writes_nothing_is_not_asked_again(tmp_path: Path) -> None:
    java = fake_jdk(tmp_path)
    classes = tmp_path / "classes"
    stopped = cds.prepare(java, classes)
    assert stopped is not None and stopped.dumping is not None
    stopped.dumping.write_bytes(b"half an archive")
    stopped.settle(None)
    assert not stopped.dumping.exists() and not stopped.path.exists()
    failed = cds.prepare(java, classes)
    assert failed is not None
    failed.settle(1)  # a failed run says nothing about the JDK: ask again next time
    unable = cds.prepare(java, classes)
    assert unable is not None and unable.dumping is not None
    unable.settle(0)  # exited cleanly and wrote no archive: this JDK cannot
    assert cds.prepare(java, classes) is None


def test_a_cache_that_cannot_be_written_costs_the_archive_not_the_run(tmp_path: Path) -> None:
    java = fake_jdk(tmp_path)
    classes = tmp_path / "classes"
    (classes / cds.JAR).mkdir()  # where the jar goes, something that is no jar (root writes anywhere: no chmod)
    assert cds.prepare(java, classes) is None
    assert not [p for p in classes.iterdir() if p.name.startswith("probe-")], "no temporary jar left behind"


# -- the real probe JVM ------------------------------------------------------------------------------------


@pytest.fixture
def store(keytool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a cache of this test's own
    monkeypatch.setenv("CDS_PW", PASSWORD)
    return make_store(keytool, tmp_path / "store.p12", PASSWORD, {"cds-root": pki.make_root("CDS Root")})


def probe(java: Path, store: Path) -> tuple[ProbeRun, ProbeResult]:
    """One probe JVM that lists the store and exits: what every run's JVM does first."""
    run = ProbeRun(java, store, "CDS_PW", timeout=5).start()
    try:
        result = run.finish([])
    finally:
        run.stop()
    assert result.stores[0].store is not None, result.stores[0].store_error  # the JVM judged
    assert [e.alias for e in result.stores[0].store.entries] == ["cds-root"]
    noise = [line for line in run.transcript.lines if not line.startswith("{")] + run._err
    assert not noise, "the JVM's CDS log lines must not reach the probe's output"
    return run, result


def system_java() -> Path:
    try:
        return find_java(None)
    except JudgeUnavailable as e:
        pytest.skip(f"no JDK: {e} (.ci/run installs openjdk-17-jdk-headless)")


def first_probe(store: Path) -> tuple[Path, ProbeRun]:
    """The system JDK and its first probe JVM, which makes the archive; skips where that JDK cannot."""
    java = system_java()
    first, _ = probe(java, store)
    if first.archive is None:
        pytest.skip(f"{java} cannot make a class-data archive (JDK 13+ with a release file)")
    return java, first


@pytest.mark.e2e
def test_the_probe_jvm_makes_the_archive_once_then_maps_it(store: Path) -> None:
    java, first = first_probe(store)
    assert first.archive is not None
    assert first.archive.dumping is not None and not first.archive.dumping.exists()
    made = first.archive.path
    assert made.is_file() and made.stat().st_size > 1_000_000, "the archive holds the TLS stack's classes"
    when = made.stat().st_mtime_ns
    second, _ = probe(java, store)
    assert second.archive is not None and second.archive.dumping is None and second.archive.path == made
    assert made.stat().st_mtime_ns == when, "a mapped archive is not written again"


@pytest.mark.e2e
def test_a_truncated_archive_is_made_again_and_a_garbled_one_ignored_while_the_jvm_judges(store: Path) -> None:
    java, first = first_probe(store)
    assert first.archive is not None
    made = first.archive.path
    with made.open("r+b") as f:
        f.truncate(100_000)
    again, _ = probe(java, store)  # handed to JDK 17, this archive would end the JVM with SIGBUS
    assert again.archive is not None and again.archive.dumping is not None
    assert made.stat().st_size > 1_000_000

    # Garbled in place, its size and time kept (a foreign archive under our name): the JVM refuses it and judges.
    size, stamp = made.stat().st_size, made.stat()
    made.chmod(0o600)
    made.write_bytes(os.urandom(size))
    os.utime(made, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    garbled, _ = probe(java, store)
    assert garbled.archive is not None and garbled.archive.dumping is None


@pytest.mark.e2e
def test_a_damaged_jar_is_made_again_and_the_jvm_judges(store: Path) -> None:
    """Without its jar the JVM cannot load the probe at all: a damaged one must never reach it."""
    java, first = first_probe(store)
    assert first.archive is not None
    jar = first.archive.classpath
    whole = jar.read_bytes()
    jar.write_bytes(whole[: len(whole) // 2])
    again, _ = probe(java, store)  # probe() asserts the JVM listed the store
    assert again.archive is not None and again.archive.classpath.read_bytes() == whole


@pytest.mark.e2e
@pytest.mark.slow  # four JVM starts over two JDKs: the slow tier, which .ci/run runs
def test_each_jdk_makes_and_maps_its_own_archive(store: Path) -> None:
    java = system_java()
    if not TEMURIN_25.is_file():
        pytest.skip(f"a second JDK is not installed at {TEMURIN_25} (Temurin 25 is optional)")
    archives = set()
    for jdk in (java, TEMURIN_25, java, TEMURIN_25):
        run, _ = probe(jdk, store)
        assert run.archive is not None, f"{jdk} is JDK 13+: it makes an archive"
        archives.add(run.archive.path)
    assert len(archives) == 2
    assert all(p.is_file() for p in archives)


@pytest.mark.e2e
def test_the_release_file_says_what_java_version_says(tmp_path: Path) -> None:
    """find_javac reads a compiler's version from its JDK's release file instead of starting `java -version`."""
    from cutover.judge.java import find_javac, java_version

    java = system_java()
    javac = find_javac(java)
    if javac is None:
        pytest.skip("no JDK 9+ javac on this machine")
    assert cds.release_version(javac) == java_version(javac.parent / "java")
    assert cds.release_version(fake_jdk(tmp_path, None)) is None  # then find_javac asks java -version
