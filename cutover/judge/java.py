"""Run Probe.java in the client's JVM: the store as Java sees it, and Java's verdict per staging IP.

One JVM per distinct (JDK, options); it judges every store of the clients that share them on one
handshake per address. It is started before DNS is resolved, so its start-up and the in-memory compile of
Probe.java overlap with the look-ups; the targets are written to its stdin once their staging IPs
are known, and it probes them concurrently.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from importlib import resources
from pathlib import Path
from typing import IO

from cutover.config.proxy import Proxy
from cutover.judge import cds
from cutover.judge.wire import (
    Job,
    Probed,
    ProbeResult,
    Transcript,
    job_line,
    parse_result,
)
from cutover.net.tunnel import hostport

PROBE = Path(str(resources.files("cutover.judge") / "Probe.java"))

#: A short-lived JVM doing a few dozen handshakes: the C1 compiler alone and the serial collector start
#: faster (measured: 56 probes 0.84 s -> 0.53 s). They change how fast Java runs, never what it decides;
#: a JVM that does not know them ignores them.
JVM_SPEED_FLAGS = ("-XX:+IgnoreUnrecognizedVMOptions", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


#: Tells Probe.java that the client's HTTP stack (java.net.http, OkHttp, Netty) ignores -Dhttps.protocols and
#: -Dhttps.cipherSuites, which it otherwise applies as HttpsURLConnection does.
HTTPS_OPTIONS_IGNORED = "-Dcutover.https.ignored=true"


class JudgeUnavailable(Exception):
    """No usable JVM: the message says why, and the run falls back to the approximate Python engine."""


#: Where the probe JVM finds the Proxy-Authorization value: its environment, never its command line.
PROXY_AUTH_ENV = "CUTOVER_PROBE_PROXY_AUTHORIZATION"


def find_javac(*javas: Path | None) -> Path | None:
    """A compiler of JDK 9+ (for ``--release 8``): beside the given javas, then JAVA_HOME, then PATH.

    The client's own java may be a JRE, or a Java 8 whose javac knows no ``--release``: any JDK 9+
    on the machine compiles a class that every Java 8+ runtime loads.
    """
    candidates = [j.resolve().parent / exe("javac") for j in javas if j is not None]
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / exe("javac"))
    on_path = shutil.which("javac")
    if on_path:
        candidates.append(Path(on_path))
    for javac in dict.fromkeys(candidates):
        if javac.is_file():
            version = cds.release_version(javac) or java_version(javac.parent / exe("java"))
            if version is not None and cds.major(version) >= 9:
                return javac
    return None


def compiled_probe(java: Path, *also: Path | None) -> Path | None:
    """Probe.class compiled once per probe source and compiler (``--release 8``), or None to use the
    single-file launcher (which needs a JDK 11+ with its compiler).

    The launcher compiles Probe.java in memory on every start: about 0.85 s of a 1.1 s run. A cached
    class saves that on every later run, and lets a Java 8 runtime or a JRE run the probe. The cache is
    keyed by the source and the compiler, written to a fresh folder and renamed into place, so
    concurrent runs never see half a compile.
    """
    javac = find_javac(java, *also)
    if javac is None:
        return None
    source = PROBE.read_bytes()
    key = hashlib.sha256(source + str(javac.resolve()).encode()).hexdigest()[:20]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cutover"
    target = root / f"probe8-{key}"
    if (target / "Probe.class").is_file():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="probe-", dir=root))
        done = subprocess.run([str(javac), "--release", "8", "-nowarn", "-Xlint:-options", "-d", str(work),
                               str(PROBE)], capture_output=True, timeout=120)
        if done.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            return None
        try:
            work.rename(target)
        except OSError:  # another run won the race: its copy is as good
            shutil.rmtree(work, ignore_errors=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return target if (target / "Probe.class").is_file() else None


def exe(tool: str) -> str:
    """A JDK tool's file name: Windows JDKs ship ``bin\\java.exe``, and QA laptops run Windows."""
    return f"{tool}.exe" if os.name == "nt" else tool


def find_java(java_home: Path | None) -> Path:
    """The `java` to use: --java-home, then JAVA_HOME, then `java` on PATH; raise JudgeUnavailable if none."""
    if java_home is not None:
        candidate = Path(java_home) / "bin" / exe("java")
        if not candidate.is_file():
            raise JudgeUnavailable(f"--java-home {java_home}: there is no bin/java in it. Give the JDK's home folder.")
        return candidate
    env = os.environ.get("JAVA_HOME")
    if env and (Path(env) / "bin" / exe("java")).is_file():
        return Path(env) / "bin" / exe("java")
    on_path = shutil.which("java")
    if on_path:
        return Path(on_path)
    raise JudgeUnavailable("no JDK found: --java-home not given, JAVA_HOME not set and no java on PATH.")


def probe_command(java: Path, launch: Sequence[str], stores: Sequence[Sequence[str]], timeout: float, threads: int,
                  java_options: Sequence[str] = ()) -> list[str]:
    """The probe JVM's command line, a pure function of what it is given (tested without a JDK): the start-up
    flags, the client's own options, how the probe is launched (`launch`: an archive's flags and class path, the
    class path, or the source file), the first store's arguments, the time limit in milliseconds, the threads,
    then every further store's arguments (`stores`: each one's, as `_store_args` makes them)."""
    first, *extra = stores
    return [str(java), *JVM_SPEED_FLAGS, *java_options, *launch, *first, str(int(timeout * 1000)), str(threads),
            *(a for pair in extra for a in pair)]


def probe_environment(base: Mapping[str, str], env: Mapping[str, str] | None, proxy: Proxy | None) -> dict[str, str]:
    """The probe JVM's environment: this process's (`base`) without a proxy authorization of its own, `env`'s
    additions, and the authorization of the client's `proxy` where it has one (never on the command line)."""
    out = {k: v for k, v in base.items() if k != PROXY_AUTH_ENV}
    out.update(env or {})
    auth = proxy.authorization() if proxy is not None else None
    if auth:
        out[PROXY_AUTH_ENV] = auth
    return out


class ProbeRun:
    """A probe JVM: made with what it will judge, started by `start` (start it early, so that its start-up overlaps
    the look-ups); call `finish` once the targets are known."""

    def __init__(
        self,
        java: Path,
        store: Path | Sequence[Path],
        password_env: str,
        timeout: float,
        threads: int = 32,
        java_options: Sequence[str] = (),
        more_stores: Sequence[tuple[Path | Sequence[Path], str]] = (),
        env: dict[str, str] | None = None,
        compiler_hint: Path | None = None,
        proxy: Proxy | None = None, jsse: Collection[Path] = (),
    ) -> None:
        """`store`: a file, or the files a runtime trusts together (`cutover.judge.locate.StoreSpec.files`: one
        trust decision over them all, each file's password from the same variable); `jsse`: the files opened as JSSE
        opens its default trust store, not by content (`_store_args`); `more_stores`: further (store, password
        variable) pairs judged on the same handshakes, each store a file or the files of a union;
        `env`: extra environment for the JVM (the well-known password of a JDK's cacerts); `proxy`: the
        one the client's JVM would use (see `cutover.config.proxy.client_proxy`), though a job may still go
        direct where NO_PROXY or http.nonProxyHosts says so. Nothing starts here (`start`)."""
        self.java = java
        self.proxy = proxy
        self.store_files = tuple(_files(s) for s in (store, *(p for p, _ in more_stores)))
        self.store_paths = tuple(files[0] for files in self.store_files)
        self.store_path = self.store_paths[0]
        self.timeout = timeout
        self.threads = threads
        self.java_options = tuple(java_options)
        self._stores = _store_args([(self.store_files[0], password_env),
                                    *((files, env) for files, (_, env) in zip(self.store_files[1:], more_stores,
                                                                              strict=True))], jsse)
        self._env = env
        self._compiler_hint = compiler_hint
        self.classes: Path | None = None
        self.archive: cds.Archive | None = None
        self._lock = threading.Lock()
        self._jobs: list[Job] = []
        self._worst = 2 * timeout

    def start(self) -> ProbeRun:
        """Compile the probe if need be (once per JDK), map or make its class-data archive, start the JVM and the
        threads that read it as it writes (so a full pipe never blocks it, and each address's chain is known as
        soon as it is probed). JudgeUnavailable when the JVM cannot be started."""
        java = self.java
        classes = self.classes = compiled_probe(java, self._compiler_hint)
        # The class-data archive of the compiled probe (cutover.judge.cds): mapped, or made as this JVM exits.
        self.archive = cds.prepare(java, classes, self.java_options) if classes is not None else None
        if self.archive is not None:
            launch = [*self.archive.flags, "-cp", str(self.archive.classpath), "Probe"]
        else:
            launch = ["-cp", str(classes), "Probe"] if classes is not None else [str(PROBE)]
        cmd = probe_command(java, launch, self._stores, self.timeout, self.threads, self.java_options)
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", env=probe_environment(os.environ, self._env, self.proxy),
            )
        except OSError as e:
            if self.archive is not None:
                self.archive.settle(None)
            raise JudgeUnavailable(f"cannot start {java}: {e.strerror}.") from None
        self.transcript = Transcript()
        self._err: list[str] = []
        self._readers = [threading.Thread(target=self._drain, args=(self.proc.stdout, self.transcript.feed,
                                                                    self.transcript.close), daemon=True),
                         threading.Thread(target=self._drain, args=(self.proc.stderr, self._err.append), daemon=True)]
        for r in self._readers:
            r.start()
        return self

    @staticmethod
    def _drain(stream: IO[str] | None, into: Callable[[str], None], ended: Callable[[], None] = lambda: None) -> None:
        try:
            if stream is not None:
                for line in stream:
                    into(line)
        finally:
            ended()

    def submit(self, job: Job) -> Future[Probed | None]:
        """Hand the JVM one target as soon as its staging IP is known; it starts probing at once. The future
        is what its handshake showed of the server (the chain presented), answered as soon as it is probed."""
        connect, handshake = job.limits(self.timeout)
        via = hostport(self.proxy.host, self.proxy.port) if job.proxied and self.proxy else ""
        line = job_line(job, self.timeout, via)
        probed = self.transcript.watch(job.target_id, job.ip)
        with self._lock:
            self._jobs.append(job)
            self._worst = max(self._worst, connect + handshake)
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the JVM is gone: finish() says why, and every job gets a verdict that says so
        return probed

    def finish(self, targets: Sequence[Job] = ()) -> ProbeResult:
        """Submit any last jobs, then wait for every verdict; kill the JVM if it overruns its budget."""
        for job in targets:
            self.submit(job)
        with self._lock, contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        # Start-up and compile, then the probes in waves of `threads`, each bounded by connect + handshake.
        budget = 60 + math.ceil(max(len(self._jobs), 1) / self.threads) * self._worst
        try:
            self.proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._err.append(f"the JVM probe did not finish within {budget:g}s and was stopped.")
        if self.archive is not None:
            self.archive.settle(self.proc.returncode)
        for r in self._readers:
            r.join(timeout=10)
        return self._result(fill=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            if self.archive is not None:
                self.archive.settle(None)  # a half-written archive is never put in place

    def received(self) -> ProbeResult:
        """Stop the JVM and keep the verdicts it had printed, filling in none for the jobs it had not reached:
        a run stopped by Ctrl-C reports what was judged (the JVM, in the terminal's process group, may already
        be gone; what it wrote is in the pipe). Raises JudgeUnavailable when it had not even said which JVM it is."""
        self.stop()
        for r in self._readers:
            r.join(timeout=2)
        return self._result(fill=False)

    def _result(self, fill: bool) -> ProbeResult:
        """The JVM's lines read into verdicts; `fill`: a job without one gets "the JVM gave no verdict"."""
        result = parse_result(self.java, self.store_files, self.transcript.lines, "".join(self._err), self._jobs,
                              self.proxy, self.timeout, fill=fill)
        if result is None:
            raise JudgeUnavailable(self._why_not("".join(self._err)))
        return result

    def _why_not(self, err: str) -> str:
        """Say why the JVM could not run the probe: too old, a JRE, or the JVM's own words."""
        detail = " ".join(err.strip().splitlines()[:3]) or f"exit code {self.proc.returncode}"
        version = java_version(self.java)
        if self.classes is not None:
            return (f"{self.java} (Java {version or 'of unknown version'}) could not run the probe compiled for "
                    f"Java 8 ({detail}). Check that it is a working Java 8 or newer (the client's own, ideally).")
        if version is not None and cds.major(version) < 11:
            return (f"{self.java} is Java {version} and no JDK 9+ compiler was found to build the probe for it "
                    f"(javac --release 8), so it could not run ({detail}). Install any JDK 9+ beside it (javac on "
                    "PATH or JAVA_HOME): the client's own Java then runs the compiled probe.")
        return (f"{self.java} (Java {version or 'of unknown version'}) could not run the probe ({detail}). It needs "
                "a JDK 9+ compiler somewhere (javac on PATH or JAVA_HOME), or to be a JDK 11 or newer itself.")


def _files(store: Path | Sequence[Path]) -> tuple[Path, ...]:
    """A store's files: the one file, or a union's, first file first."""
    return (Path(store),) if isinstance(store, (str, Path)) else tuple(Path(p) for p in store)


def _store_args(stores: Sequence[tuple[Sequence[Path], str]], jsse: Collection[Path]) -> list[tuple[str, str]]:
    """Each file's (STORE, PASSWORD_ENV) arguments of Probe.java; ``jsse:PATH`` for one opened as JSSE opens
    its default trust store: KeyStore.getInstance of -Djavax.net.ssl.trustStoreType, and no password when the
    variable is empty or unset. A union's further files are written ``+PATH``: Probe merges them into the store
    before them. A relative path that would read as a prefix (``+x``, ``jsse:x``) is written ``./+x``."""
    opened = {Path(p) for p in jsse}

    def arg(p: Path) -> str:
        text = str(p)
        if not p.is_absolute() and text.startswith(("+", "jsse:")):
            text = f".{os.sep}{text}"
        return f"jsse:{text}" if p in opened else text

    return [(("+" if n else "") + arg(Path(p)), env) for files, env in stores for n, p in enumerate(files)]


def java_version(java: Path) -> str | None:
    """The version `java -version` reports, or None if it does not say."""
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "([^"]+)"', done.stderr + done.stdout)
    return found[1] if found else None

