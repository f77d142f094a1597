"""`make bench`: the suite against what people do by hand, measured in one run on this machine.

Against the sandbox (a separate process: 14 data centres x 4 pods, 100 ms added to every DNS answer
and TLS accept), it times, median of N runs each:

  (a) the suite: pytest over every gate, HTML/JUnit/JSON report included;
  (b) what a person scripts today: per pod, in sequence, resolve the staging name and run
      `openssl s_client -servername`;
  (c) a loop that starts one JVM probe per pod with the truststore (SSLPoke style);
  (d) the floor: pytest start-up + one JVM start-up with one pod's probe + one pod's DNS look-ups;

and prints the ratios a/b, a/c, a/d and the suite's peak memory; then the suite once at ~500 pods.
Nothing here asserts a time: the figures go in the README.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import dns.resolver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cutover.javajudge import JVM_SPEED_FLAGS, compiled_probe, find_java  # noqa: E402
from cutover.sandbox import PASSWORD_ENV  # noqa: E402
from cutover.staging import edge_hostname_in, make_resolver, staging_twin  # noqa: E402


class Edge:
    """The sandbox in its own process, so the suite is measured without the simulated network's cost."""

    def __init__(self, pods: int, latency_ms: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cutover-bench-"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cutover.sandbox", "--pods", str(pods), "--latency-ms", str(latency_ms),
             "--dir", str(self.dir / "edge")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        deadline = time.monotonic() + 300
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line or "Ctrl-C stops it" in line:
                break
        self.config = self.dir / "edge" / "datacenters.toml"
        raw = tomllib.loads(self.config.read_text())
        host, port = raw["run"]["nameservers"][0].split(":")
        self.nameserver = (host, int(port))
        self.port = raw["defaults"]["port"]
        self.password = (self.dir / "edge" / "truststore.password").read_text()
        self.store = self.dir / "edge" / "client-truststore.jks"
        self.targets = [(dc, pod, f"{pod}.fa.{dc}.oraclecloud.com")
                        for dc, table in raw["datacenters"].items() for pod in table["pods"]]
        with zipfile.ZipFile(self.dir / "edge" / "certs" / "us2.zip") as z:
            self.root_pem = self.dir / "root.pem"
            self.root_pem.write_bytes(z.read("SandboxRootCAG2.crt.pem"))

    def env(self) -> dict[str, str]:
        return {**os.environ, PASSWORD_ENV: self.password}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def suite(edge: Edge, out: io.StringIO | None = None) -> None:
    reports = edge.dir / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "checks"), f"--datacenters={edge.config}",
         f"--reports-dir={reports}", "-q", "-p", "no:cacheprovider", "-W", "ignore"],
        capture_output=True, text=True, env=edge.env(), cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the suite failed against the sandbox:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    if out is not None:
        out.write(done.stdout)


def three_clients(edge: Edge) -> Edge:
    """The same edge, judged for three clients (three copies of the store: three stores to the JVM)."""
    text = edge.config.read_text()
    head, _, rest = text.partition("[truststore]\n")
    clients = ""
    for name in ("soa", "gateway", "batch"):
        copy = edge.store.with_name(f"{name}-truststore.p12")
        shutil.copy(edge.store, copy)
        clients += f'[clients.{name}]\ntruststore = "{copy}"\npassword_env = "{PASSWORD_ENV}"\n\n'
    three = edge.config.with_name("three-clients.toml")
    three.write_text(head + clients + rest.split("\n\n", 1)[1])
    other = Edge.__new__(Edge)
    other.__dict__.update(edge.__dict__, config=three)
    return other


def staging_ip(edge: Edge, host: str) -> str:
    resolver = make_resolver([edge.nameserver], 10)
    chain = [host] + [str(r[0].target).rstrip(".") for r in
                      resolver.resolve(host + ".", "A").response.resolve_chaining().cnames]
    edge_name = edge_hostname_in(chain)
    assert edge_name is not None
    return str(resolver.resolve(staging_twin(edge_name) + ".", "A")[0])


def by_hand(edge: Edge) -> None:
    """nslookup the hostname, nslookup its staging twin, openssl s_client -servername: pod after pod."""
    for _, _, host in edge.targets:
        ip = staging_ip(edge, host)
        done = subprocess.run(
            ["openssl", "s_client", "-connect", f"{ip}:{edge.port}", "-servername", host, "-CAfile",
             str(edge.root_pem), "-verify_return_error", "-brief"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        assert "Verification: OK" in done.stdout + done.stderr, done.stdout + done.stderr


def jvm_per_pod(edge: Edge) -> None:
    """One JVM per pod with the client's truststore, SSLPoke style (the compiled probe, to be fair)."""
    java = find_java(None)
    classes = compiled_probe(java)
    launch = ["-cp", str(classes), "Probe"] if classes else [str(ROOT / "cutover" / "javajudge" / "Probe.java")]
    for dc, pod, host in edge.targets:
        ip = staging_ip(edge, host)
        done = subprocess.run([str(java), *launch, str(edge.store), PASSWORD_ENV, "10000", "1"],
                              input=f"{dc}/{pod}\t{ip}\t{edge.port}\t{host}\n", capture_output=True, text=True,
                              env=edge.env(), timeout=60)
        assert '"ok":true' in done.stdout, done.stdout + done.stderr


def floor_parts(edge: Edge) -> dict[str, float]:
    empty = Path(tempfile.mkdtemp())
    java = find_java(None)
    classes = compiled_probe(java)
    dc, pod, host = edge.targets[0]
    parts = {
        # The same plugins as the suite's runs (pyproject.toml blocks hypothesis's 0.8 s plugin there).
        "pytest start-up": timed(lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                                         "-p", "no:hypothesispytest", str(empty)],
                                                        capture_output=True, cwd=empty)),
        "one pod's DNS look-ups": timed(lambda: staging_ip(edge, host)),
    }
    ip = staging_ip(edge, host)
    parts["one JVM start-up and one probe"] = timed(lambda: subprocess.run(  # with the suite's own JVM flags
        [str(java), *JVM_SPEED_FLAGS, "-cp", str(classes), "Probe", str(edge.store), PASSWORD_ENV, "10000", "1"],
        input=f"{dc}/{pod}\t{ip}\t{edge.port}\t{host}\n", capture_output=True, text=True, env=edge.env()))
    shutil.rmtree(empty, ignore_errors=True)
    return parts


def median_of(n: int, fn: Callable[[], object]) -> tuple[float, list[float]]:
    runs = [timed(fn) for _ in range(n)]
    return statistics.median(runs), runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    ap.add_argument("--pods", type=int, default=4, help="pods per data centre (default 4: 56 pods)")
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--large-pods", type=int, default=36, help="pods per data centre for the large run (36: 504)")
    ap.add_argument("--clients-only", action="store_true", help="only the 3-clients vs 1-client line")
    args = ap.parse_args()
    dns.resolver.default_resolver = None
    print(f"cutover bench: {os.cpu_count()} CPUs, sandbox with {args.pods} pods x 14 DCs, "
          f"{args.latency_ms} ms per DNS answer and TLS accept, median of {args.runs}", flush=True)
    edge = Edge(args.pods, args.latency_ms)
    try:
        n = len(edge.targets)
        suite(edge)  # warm-up: compiles and caches the probe, fills the OS caches
        output = io.StringIO()
        a, a_runs = median_of(args.runs, lambda: suite(edge, output))
        memory = re.findall(r"peak memory: python (\d+) MB, largest child process \(the JVM\) (\d+) MB",
                            output.getvalue())
        print(f"(a) suite, {n} pods, report included:       {a:7.2f} s  runs {_fmt(a_runs)}", flush=True)
        e, e_runs = median_of(args.runs, lambda: suite(three_clients(edge)))
        print(f"(e) suite, 3 clients x {n} pods:             {e:7.2f} s  runs {_fmt(e_runs)}: "
              f"{e / a:.2f}x the 1-client run (goal 1.3x or less: {'met' if e / a <= 1.3 else 'NOT met'})",
              flush=True)
        if args.clients_only:
            return
        b, b_runs = median_of(args.runs, lambda: by_hand(edge))
        print(f"(b) by hand: DNS + openssl s_client per pod: {b:7.2f} s  runs {_fmt(b_runs)}", flush=True)
        c, c_runs = median_of(args.runs, lambda: jvm_per_pod(edge))
        print(f"(c) one JVM probe per pod:                   {c:7.2f} s  runs {_fmt(c_runs)}", flush=True)
        floors = [floor_parts(edge) for _ in range(args.runs)]
        d = statistics.median(sum(f.values()) for f in floors)
        parts = {k: statistics.median(f[k] for f in floors) for k in floors[0]}
        print(f"(d) floor:                                   {d:7.2f} s  "
              f"({', '.join(f'{k} {v:.2f} s' for k, v in parts.items())})", flush=True)
        print(f"ratios: b/a = {b / a:.1f}x faster than by hand, c/a = {c / a:.1f}x faster than a JVM per pod, "
              f"a/d = {a / d:.2f}x the floor")
        if memory:
            py = max(int(m[0]) for m in memory)
            jvm = max(int(m[1]) for m in memory)
            print(f"peak memory of the suite's processes: python {py} MB, JVM {jvm} MB")
        def met(ok: bool) -> str:
            return "met" if ok else "NOT met"

        print(f"goals: >=10x vs (b): {met(b / a >= 10)}; >=10x vs (c): {met(c / a >= 10)}; "
              f"within 1.5x of the floor: {met(a / d <= 1.5)}; python under 200 MB: {met(bool(memory) and py < 200)}",
              flush=True)
    finally:
        edge.stop()
    large = Edge(args.large_pods, args.latency_ms)
    try:
        out = io.StringIO()
        t = timed(lambda: suite(large, out))
        mem = re.findall(r"peak memory: python (\d+) MB", out.getvalue())
        print(f"large run: {len(large.targets)} pods in {t:.2f} s: {t / a:.2f}x the time of {n} pods for "
              f"{len(large.targets) / n:.1f}x the pods; python peak {mem[0] if mem else '?'} MB")
    finally:
        large.stop()


def _fmt(runs: list[float]) -> str:
    return ", ".join(f"{r:.2f}" for r in runs)


if __name__ == "__main__":
    main()
