"""Run Probe.java in the client's JVM: the store as Java sees it, and Java's verdict per staging IP.

One JVM per run. It is started before DNS is resolved, so its start-up and the in-memory compile of
Probe.java overlap with the look-ups; the targets are written to its stdin once their staging IPs
are known, and it probes them concurrently.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cutover.certs import CertInfo
from cutover.truststore import StoreContents, StoreEntry

PROBE = Path(str(resources.files("cutover.javajudge") / "Probe.java"))


class JudgeUnavailable(Exception):
    """No usable JVM: the message says why, and the run falls back to the approximate Python engine."""


@dataclass(frozen=True)
class JvmInfo:
    """Which JVM judged: shown in the report because the same chain may pass under one JDK and fail under another."""

    java: Path
    home: str
    version: str
    vendor: str

    @property
    def label(self) -> str:
        return f"Java {self.version} ({self.vendor}) at {self.home}"


@dataclass(frozen=True)
class JavaVerdict:
    """Java's decision for one staging IP.

    Attributes:
        target_id: ``dc/pod``.
        ip: the staging IP probed.
        ok: the handshake completed: the chain is trusted and the hostname verified.
        reason: Java's exception text on failure, the exception chain joined; a short sentence on success.
        step: ``connect`` or ``TLS handshake``: where a failure happened.
        protocol: negotiated protocol on success.
        engine: ``jvm``, or ``python`` for the approximate fallback.
    """

    target_id: str
    ip: str
    ok: bool
    reason: str
    step: str = "TLS handshake"
    protocol: str | None = None
    engine: str = "jvm"


@dataclass(frozen=True)
class ProbeResult:
    jvm: JvmInfo
    store: StoreContents | None
    store_error: str | None
    verdicts: dict[tuple[str, str], JavaVerdict]


def find_java(java_home: Path | None) -> Path:
    """The `java` to use: --java-home, then JAVA_HOME, then `java` on PATH; raise JudgeUnavailable if none."""
    if java_home is not None:
        candidate = Path(java_home) / "bin" / "java"
        if not candidate.is_file():
            raise JudgeUnavailable(f"--java-home {java_home}: there is no bin/java in it. Give the JDK's home folder.")
        return candidate
    env = os.environ.get("JAVA_HOME")
    if env and (Path(env) / "bin" / "java").is_file():
        return Path(env) / "bin" / "java"
    on_path = shutil.which("java")
    if on_path:
        return Path(on_path)
    raise JudgeUnavailable("no JDK found: --java-home not given, JAVA_HOME not set and no java on PATH.")


class ProbeRun:
    """A started probe JVM. Start it early; call `finish` once the targets are known."""

    def __init__(
        self,
        java: Path,
        store: Path,
        password_env: str,
        timeout: float,
        threads: int = 32,
        java_options: Sequence[str] = (),
    ) -> None:
        self.java = java
        self.store_path = store
        self.timeout = timeout
        self.threads = threads
        cmd = [str(java), *java_options, str(PROBE), str(store), password_env, str(int(timeout * 1000)), str(threads)]
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8",
            )
        except OSError as e:
            raise JudgeUnavailable(f"cannot start {java}: {e.strerror}.") from None

    def finish(self, targets: Sequence[tuple[str, str, int, str]]) -> ProbeResult:
        """Probe (id, ip, port, host) targets and collect everything; kill the JVM if it overruns."""
        lines = "".join(f"{i}\t{ip}\t{port}\t{host}\n" for i, ip, port, host in targets)
        # Start-up and compile, then the probes in waves of `threads`, each bounded by connect + handshake.
        budget = 60 + math.ceil(max(len(targets), 1) / self.threads) * 2 * self.timeout
        try:
            out, err = self.proc.communicate(lines, timeout=budget)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            err = f"the JVM probe did not finish within {budget:g}s and was stopped. {err}"
        return self._parse(out, err, targets)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def _parse(self, out: str, err: str, targets: Sequence[tuple[str, str, int, str]]) -> ProbeResult:
        jvm: JvmInfo | None = None
        entries: list[StoreEntry] = []
        store_type = None
        store_error = None
        verdicts: dict[tuple[str, str], JavaVerdict] = {}
        for line in out.splitlines():
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = msg.get("type")
            if kind == "jvm":
                jvm = JvmInfo(self.java, msg["home"], msg["version"], msg["vendor"])
            elif kind == "store":
                store_type = msg["store_type"]
            elif kind == "entry":
                der = msg.get("der")
                cert = CertInfo.from_der(base64.b64decode(der)) if der else None
                entries.append(StoreEntry(msg["alias"].lower(), msg["kind"], cert))
            elif kind == "store_error":
                store_error = msg["reason"]
            elif kind == "verdict":
                verdicts[(msg["id"], msg["ip"])] = JavaVerdict(
                    msg["id"], msg["ip"], bool(msg["ok"]), msg["reason"], msg["step"], msg.get("protocol"))
        if jvm is None:
            detail = " ".join(err.strip().splitlines()[:3]) or f"exit code {self.proc.returncode}"
            raise JudgeUnavailable(
                f"{self.java} could not run the probe ({detail}). The single-file launcher needs a JDK 11 or "
                "newer with its compiler (a JRE is not enough); give one with --java-home."
            )
        for tid, ip, _, _ in targets:
            if (tid, ip) not in verdicts:
                why = err.strip().splitlines()[-1] if err.strip() else "no verdict was printed"
                verdicts[(tid, ip)] = JavaVerdict(tid, ip, False, f"the JVM gave no verdict: {why}")
        store = None
        if store_type is not None:
            store = StoreContents(self.store_path, store_type, tuple(sorted(entries, key=lambda e: e.alias)),
                                  f"the JVM ({jvm.label})")
        return ProbeResult(jvm, store, store_error, verdicts)
