"""`make bench`: the suite against sslyze and what people do by hand, measured in one run on this machine.

Against the sandbox (a separate process: 14 data centres x 4 pods, 100 ms added to every DNS answer
and TLS accept), it times, median of N runs each:

  (a) the suite: pytest over every gate, HTML/JUnit/JSON report included;
  (b) what a person scripts today: per pod, in sequence, resolve the staging name and run
      `openssl s_client -servername`;
  (c) a loop that starts one JVM probe per pod with the truststore (SSLPoke style);
  (d) the floor: pytest start-up + one JVM start-up with one pod's probe + one pod's DNS look-ups;
  (e) the strongest peer, sslyze (`--certinfo --certinfo_ca_file=ROOT.pem`), given the same staging
      endpoints pre-resolved as `host:port{ip}`; it runs from its own virtual environment,
      bench/.peer-venv, made on first use, so its pinned dependencies never touch the suite's .venv.
      (a) and (e) alternate, run after run, so that a busy machine slows both alike;
  (f) the suite judging three clients (three copies of the store) against the same pods, beside (a);

and prints the ratios, wall and CPU seconds, the suite's peak memory, where the suite's wall time goes
(profiled runs with bench/cutover_bench_timing.py and one run under `python -X importtime`), then the
suite once at ~500 pods. Nothing here asserts a time: the figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import dns.nameserver
import dns.resolver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cutover.judge import cds  # noqa: E402
from cutover.judge.java import JVM_SPEED_FLAGS, PROBE, compiled_probe, find_java  # noqa: E402
from cutover.net.dns import edge_hostname_in, staging_twin  # noqa: E402
from cutover.sandbox import PASSWORD_ENV  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from breakdown import SEGMENTS, import_costs, print_breakdown, print_jvm_starts, print_large_breakdown  # noqa: E402
from goals import Goal, print_goals, ratio  # noqa: E402
from peer import peer_python, sslyze  # noqa: E402


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

    def cpu(self) -> float:
        """CPU seconds the sandbox has used, all its threads: the server side of every handshake and answer."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def timed_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of fn's child processes (their own children too, once waited for: the JVM)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(fn)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


#: Extra pytest arguments for every run of the suite (--concurrency N measures another default).
SUITE_ARGS: list[str] = []


def suite(edge: Edge, out: io.StringIO | None = None, *, python: Sequence[str] = (), extra: Sequence[str] = (),
          env: dict[str, str] | None = None) -> str:
    """One run of every gate with its reports; returns its stderr (where -X importtime writes)."""
    reports = edge.dir / "reports"
    done = subprocess.run(
        [sys.executable, *python, "-m", "pytest", str(ROOT / "checks"), f"--datacenters={edge.config}",
         f"--reports-dir={reports}", "-q", "-p", "no:cacheprovider", "-W", "ignore", *SUITE_ARGS, *extra],
        capture_output=True, text=True, env=env or edge.env(), cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the suite failed against the sandbox:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    if out is not None:
        out.write(done.stdout)
    return done.stderr


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
    resolver = dns.resolver.Resolver(configure=False)  # one look-up at a time, as nslookup asks
    resolver.nameservers = [dns.nameserver.Do53Nameserver(*edge.nameserver)]
    resolver.lifetime = 10
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
    launch = ["-cp", str(classes), "Probe"] if classes else [str(PROBE)]
    for dc, pod, host in edge.targets:
        ip = staging_ip(edge, host)
        done = subprocess.run([str(java), *launch, str(edge.store), PASSWORD_ENV, "10000", "1"],
                              input=f"{dc}/{pod}\t{ip}\t{edge.port}\t{host}\n", capture_output=True, text=True,
                              env=edge.env(), timeout=60)
        assert '"ok":true' in done.stdout, done.stdout + done.stderr


def suite_launch(java: Path) -> list[str]:
    """The probe's launch as the suite's own JVM does it: its flags, the class-data archive when there is one."""
    classes = compiled_probe(java)
    if classes is None:
        return [*JVM_SPEED_FLAGS, str(PROBE)]
    archive = cds.prepare(java, classes)
    if archive is None or archive.dumping is not None:  # none yet (the warm-up run makes it): run without
        return [*JVM_SPEED_FLAGS, "-cp", str(classes), "Probe"]
    return [*JVM_SPEED_FLAGS, *archive.flags, "-cp", str(archive.classpath), "Probe"]


def one_probe(edge: Edge, java: Path, launch: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one JVM that starts, loads the store, probes one pod and exits."""
    dc, pod, host = edge.targets[0]
    job = f"{dc}/{pod}\t{staging_ip(edge, host)}\t{edge.port}\t{host}\n"
    return timed_cpu(lambda: subprocess.run([str(java), *launch, str(edge.store), PASSWORD_ENV, "10000", "1"],
                                            input=job, capture_output=True, text=True, env=edge.env(), timeout=60))


def jvm_starts(edge: Edge, runs: int) -> dict[str, list[tuple[float, float]]]:
    """One probe JVM's start, alternated run after run: bare, with the suite's flags, with the archive too."""
    java = find_java(None)
    classes = compiled_probe(java)
    if classes is None:
        return {}
    variants = {"bare (no flags, no archive)": ["-cp", str(classes), "Probe"],
                "C1 only + serial GC, no archive": [*JVM_SPEED_FLAGS, "-cp", str(classes), "Probe"],
                "the suite's: flags + class-data archive": suite_launch(java)}
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    for _ in range(max(runs, 5)):
        for label, launch in variants.items():
            out[label].append(one_probe(edge, java, launch))
    return out


def floor_parts(edge: Edge) -> dict[str, float]:
    empty = Path(tempfile.mkdtemp())
    java = find_java(None)
    host = edge.targets[0][2]
    parts = {
        # The same plugins as the suite's runs (pyproject.toml blocks hypothesis's 0.8 s plugin there).
        "pytest start-up": timed(lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                                         "-p", "no:hypothesispytest", str(empty)],
                                                        capture_output=True, cwd=empty)),
        "one pod's DNS look-ups": timed(lambda: staging_ip(edge, host)),
    }
    # With the suite's own JVM flags and class-data archive: the floor is the best one JVM can do.
    parts["one JVM start-up and one probe"] = one_probe(edge, java, suite_launch(java))[0]
    shutil.rmtree(empty, ignore_errors=True)
    return parts


def median_of(n: int, fn: Callable[[], object]) -> tuple[float, list[float]]:
    runs = [timed(fn) for _ in range(n)]
    return statistics.median(runs), runs


# -- (e) sslyze, in its own virtual environment ----------------------------------------------------------

def sslyze_targets(edge: Edge) -> list[str]:
    """The staging endpoints, resolved before the clock starts, in sslyze's `host:port{ip}` form."""
    return [f"{host}:{edge.port}{{{staging_ip(edge, host)}}}" for _, _, host in edge.targets]


# -- where the suite's time goes -------------------------------------------------------------------------

def profiled(edge: Edge, out: io.StringIO | None = None) -> dict[str, float]:
    """One run of the suite with the timing plugin: seconds per segment, and what went on inside the gathering."""
    marks_file = edge.dir / "marks.json"
    marks_file.unlink(missing_ok=True)
    env = {**edge.env(), "CUTOVER_BENCH_MARKS": str(marks_file),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "bench"), os.environ.get("PYTHONPATH")) if p)}
    launch = time.monotonic()  # CLOCK_MONOTONIC on Linux: the same clock as the run's own marks
    wall, cpu = timed_cpu(lambda: suite(edge, out, extra=["-p", "cutover_bench_timing"], env=env))
    data = json.loads(marks_file.read_text())
    m = {**data["marks"], "launch": launch, "exit": launch + wall}
    out: dict[str, float] = {"total": wall, "cpu total": cpu}
    for label, start, stop in SEGMENTS:
        if start in m and stop in m:
            out[label] = m[stop] - m[start]
    if "evidence gathering" in out:
        out["the tests themselves (less gathering)"] -= out["evidence gathering"]
        t0 = m["evidence_start"]
        for key, mark in (("jvm up (first line)", "jvm_first_line"), ("last job to the JVM", "jvm_last_submit"),
                          ("jvm exited", "jvm_exited")):
            if mark in m and "jvm_start" in m:
                out[key] = m[mark] - t0
        out["JVM chains count"] = len(data["spans"].get("jvm_chain") or [])
        for kind, label in (("dns", "DNS"), ("tls", "handshakes")):
            spans = data["spans"].get(kind) or []
            if spans:
                out[f"{label} done"] = max(b for _, b in spans) - t0
                out[f"{label} each"] = statistics.median(b - a for a, b in spans)
                out[f"{label} count"] = len(spans)
    cpu_marks = data.get("cpu", {})
    if "jvm" in cpu_marks:
        out["cpu jvm"] = cpu_marks["jvm"]
        out["cpu python"] = cpu - cpu_marks["jvm"]
    return out


def _options() -> tuple[argparse.Namespace, set[str]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    ap.add_argument("--pods", type=int, default=4, help="pods per data centre (default 4: 56 pods)")
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--large-pods", type=int, default=36, help="pods per data centre for the large run (36: 504)")
    ap.add_argument("--skip", default="", metavar="b,c,...",
                    help="measurements to leave out: b, c, d, e (sslyze), f (3 clients), profile, large")
    ap.add_argument("--clients-only", action="store_true", help="only the 3-clients vs 1-client line")
    ap.add_argument("--concurrency", type=int, help="pass --concurrency N to every run of the suite")
    args = ap.parse_args()
    every = {"b", "c", "d", "e", "f", "profile", "large"}
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - every:
        ap.error(f"--skip {args.skip}: leave out any of {', '.join(sorted(every))}, separated by commas")
    if args.clients_only:
        skip = every - {"f"}
    return args, skip


def main() -> None:
    args, skip = _options()
    if args.concurrency:
        SUITE_ARGS.append(f"--concurrency={args.concurrency}")
    dns.resolver.default_resolver = None
    print(f"cutover bench: {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start), sandbox "
          f"with {args.pods} pods x 14 DCs, {args.latency_ms} ms per DNS answer and TLS accept, median of {args.runs}",
          flush=True)
    peer: Path | None = None
    if "e" not in skip:
        peer, said = peer_python()
        print(f"(e) sslyze: {said}" if peer else f"(e) sslyze skipped: {said}", flush=True)
    edge = Edge(args.pods, args.latency_ms)
    try:
        m = _measure(edge, args, skip, peer)
    finally:
        edge.stop()
    large = _large(args, m["a"], len(edge.targets)) if "large" not in skip else None
    print_goals([
        Goal("suite wall / sslyze's wall", ratio(m["a"], m["e"]), 0.8, base=m["e"]),
        Goal("suite CPU / sslyze's CPU", ratio(m["a cpu"], m["e cpu"]), 2.0, base=m["e cpu"]),
        Goal("suite wall / the floor (d)", ratio(m["a"], m["d"]), 1.5, base=m["d"]),
        Goal(f"{large[0] if large else 504} pods / {len(edge.targets)} pods, wall",
             ratio(large[1] if large else None, m["a"]), 2.5, base=m["a"]),
        Goal("3 clients / 1 client, wall", ratio(m["f"], m["a"]), 1.3, base=m["a"]),
        Goal("Python peak memory", m["python MB"], 200, unit=" MB", strict=True),
    ])
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _measure(edge: Edge, args: argparse.Namespace, skip: set[str], peer: Path | None) -> dict[str, float | None]:
    """(a) beside (e), then (f), (b), (c), (d) and the profile; prints them and the ratios, returns the figures."""
    # Warm-up: compiles and caches the probe and its class-data archive, fills the OS caches, and writes the
    # bytecode a user's first run writes (pytest's rewritten modules too), even where the environment says
    # PYTHONDONTWRITEBYTECODE: sslyze's was compiled by pip, and a run that compiles cutover's every time
    # measures 0.35 s of compiling that no second run of a user's pays.
    suite(edge, env={k: v for k, v in edge.env().items() if k != "PYTHONDONTWRITEBYTECODE"})
    targets = sslyze_targets(edge) if peer else []
    if peer:
        try:
            sslyze(edge.dir, edge.root_pem, peer, targets)  # warm-up too: its imports, compiled once
        except (SystemExit, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            print(f"(e) sslyze skipped: it does not work here: {e}", flush=True)
            peer = None
    m = _alternated(edge, args.runs, peer, targets)
    a = m["a"]
    assert a is not None
    n = len(edge.targets)
    m["f"] = m["b"] = m["c"] = m["d"] = None
    if "f" not in skip:
        f, f_runs = median_of(args.runs, lambda: suite(three_clients(edge)))
        m["f"] = f
        print(f"(f) suite, 3 clients x {n} pods:             {f:7.2f} s  runs {_fmt(f_runs)}: "
              f"{f / a:.2f}x the 1-client run", flush=True)
    if "b" not in skip:
        m["b"], b_runs = median_of(args.runs, lambda: by_hand(edge))
        print(f"(b) by hand: DNS + openssl s_client per pod: {m['b']:7.2f} s  runs {_fmt(b_runs)}", flush=True)
    if "c" not in skip:
        m["c"], c_runs = median_of(args.runs, lambda: jvm_per_pod(edge))
        print(f"(c) one JVM probe per pod:                   {m['c']:7.2f} s  runs {_fmt(c_runs)}", flush=True)
    if "d" not in skip:
        floors = [floor_parts(edge) for _ in range(args.runs)]
        m["d"] = statistics.median(sum(f.values()) for f in floors)
        parts = {k: statistics.median(f[k] for f in floors) for k in floors[0]}
        print(f"(d) floor:                                   {m['d']:7.2f} s  "
              f"({', '.join(f'{k} {v:.2f} s' for k, v in parts.items())})", flush=True)
    if "profile" not in skip:
        try:
            print_breakdown([profiled(edge) for _ in range(args.runs)],
                            import_costs(lambda: suite(edge, python=["-X", "importtime"], extra=["--capture=no"]),
                                         args.runs))
        except SystemExit as e:  # a run that failed (DNS timeouts on a machine at load 40): say so, measure on
            print(f"  breakdown skipped: {str(e).splitlines()[0]} ({str(e).count('FAILED')} tests failed)")
        print_jvm_starts(jvm_starts(edge, args.runs))
    _ratios(m)
    return m


def _alternated(edge: Edge, runs: int, peer: Path | None, targets: Sequence[str]) -> dict[str, float | None]:
    """(a) and (e) run after run, so that a busy machine slows both alike: medians of wall and CPU."""
    output = io.StringIO()
    a_runs: list[tuple[float, float, float]] = []
    e_runs: list[tuple[float, float, float]] = []

    def with_edge_cpu(fn: Callable[[], object]) -> tuple[float, float, float]:
        before = edge.cpu()
        return (*timed_cpu(fn), edge.cpu() - before)

    for _ in range(runs):
        a_runs.append(with_edge_cpu(lambda: suite(edge, output)))
        if peer:
            e_runs.append(with_edge_cpu(lambda: sslyze(edge.dir, edge.root_pem, peer, targets)))
    a, a_cpu, a_edge = (statistics.median(r[i] for r in a_runs) for i in (0, 1, 2))
    memory = re.findall(r"peak memory: python (\d+) MB, largest child process \(the JVM\) (\d+) MB",
                        output.getvalue())
    m: dict[str, float | None] = {"a": a, "a cpu": a_cpu, "e": None, "e cpu": None, "python MB": None}
    if memory:
        m["python MB"] = max(int(x[0]) for x in memory)
        print(f"peak memory of the suite's processes: python {m['python MB']:.0f} MB, "
              f"JVM {max(int(x[1]) for x in memory)} MB")
    n = len(edge.targets)
    print(f"(a) suite, {n} pods, report included:       {a:7.2f} s  CPU {a_cpu:5.2f} s  "
          f"(sandbox {a_edge:.2f} s)  runs {_fmt([r[0] for r in a_runs])}", flush=True)
    if not e_runs:
        return m
    m["e"], m["e cpu"], e_edge = (statistics.median(r[i] for r in e_runs) for i in (0, 1, 2))
    print(f"(e) sslyze --certinfo, same {n} endpoints:  {m['e']:7.2f} s  CPU {m['e cpu']:5.2f} s  "
          f"(sandbox {e_edge:.2f} s)  runs {_fmt([r[0] for r in e_runs])}", flush=True)
    return m


def _ratios(m: dict[str, float | None]) -> None:
    """How (a) compares with the ways of doing it by hand (the goals are printed at the end)."""
    a, b, c = m["a"], m["b"], m["c"]
    assert a is not None
    ratios = [f"b/a = {b / a:.1f}x faster than by hand (goal >= 10x)" if b else "",
              f"c/a = {c / a:.1f}x faster than a JVM per pod (goal >= 10x)" if c else ""]
    if any(ratios):
        print("ratios: " + ", ".join(r for r in ratios if r), flush=True)


def _large(args: argparse.Namespace, a: float | None, n: int) -> tuple[int, float] | None:
    """The suite once at ~500 pods, against its own sandbox: how the time grows with the pods; None if it failed."""
    large = Edge(args.large_pods, args.latency_ms)
    try:
        out = io.StringIO()
        try:
            before = large.cpu()
            seg = profiled(large, out)  # with the timing plugin: where the time of many pods goes (item 4)
        except SystemExit as e:  # DNS timeouts on an overloaded machine: the goals are still printed
            print(f"large run failed: {str(e).count('FAILED')} tests failed ({str(e).splitlines()[-2:]})", flush=True)
            return None
        t, t_cpu, edge_cpu = seg["total"], seg["cpu total"], large.cpu() - before
        mem = re.findall(r"peak memory: python (\d+) MB, largest child process \(the JVM\) (\d+) MB", out.getvalue())
        gathered = re.findall(r"evidence gathered in ([\d.]+)s", out.getvalue())
        print(f"large run: {len(large.targets)} pods in {t:.2f} s (CPU {t_cpu:.2f} s, evidence "
              f"{gathered[0] if gathered else '?'} s): {t / a if a else 0:.2f}x the time of {n} pods for "
              f"{len(large.targets) / n:.1f}x the pods; python peak {mem[0][0] if mem else '?'} MB, "
              f"JVM peak {mem[0][1] if mem else '?'} MB", flush=True)
        print_large_breakdown(seg, edge_cpu)
        return len(large.targets), t
    finally:
        large.stop()


def _fmt(runs: list[float]) -> str:
    return ", ".join(f"{r:.2f}" for r in runs)


if __name__ == "__main__":
    main()
