"""How `make bench` prints where the suite's wall time goes, from the marks of bench/cutover_bench_timing.py."""

from __future__ import annotations

import os
import re
import statistics
from collections.abc import Callable

#: Consecutive segments of one run, from the marks of bench/cutover_bench_timing.py: (label, from, to).
SEGMENTS = (
    ("interpreter start, import pytest", "launch", "plugin_imported"),
    # One segment: cutover's glue is imported by its entry point or by a conftest, depending on the layout.
    ("plugins, conftest, cutover imports", "plugin_imported", "conftest_end"),
    ("configure: toml, truststore, bundles", "conftest_end", "sessionstart_start"),
    ("session start, collection", "sessionstart_start", "tests_start"),
    ("evidence gathering", "evidence_start", "evidence_end"),
    ("the tests themselves (less gathering)", "tests_start", "tests_end"),
    ("reports: HTML, JUnit, JSON, summary", "tests_end", "sessionfinish_end"),
    ("unconfigure, interpreter exit", "sessionfinish_end", "exit"),
)


def import_costs(run: Callable[[], str], runs: int = 3, top: int = 8) -> tuple[float, list[tuple[str, float]], int]:
    """All import time of a gate run, the costliest packages (each module's own time summed by package) and
    the number of modules imported; medians of `runs` runs of `run`, which returns the stderr of one gate run
    under ``python -X importtime`` (pytest's --capture=no, else pytest swallows it).

    -X importtime inflates what it measures: read the shares and compare runs, not the seconds.
    """
    totals: list[float] = []
    counts: list[int] = []
    by_package: dict[str, list[float]] = {}
    for _ in range(runs):
        found = re.findall(r"^import time:\s+(\d+) \|\s+\d+ \| +(\S+)", run(), re.MULTILINE)
        costs: dict[str, float] = {}
        for us, module in found:
            costs[module.split(".")[0]] = costs.get(module.split(".")[0], 0.0) + int(us) / 1e6
        totals.append(sum(costs.values()))
        counts.append(len(found))
        for package, sec in costs.items():
            by_package.setdefault(package, []).append(sec)
    medians = {p: statistics.median(v + [0.0] * (runs - len(v))) for p, v in by_package.items()}
    return (statistics.median(totals), sorted(medians.items(), key=lambda kv: -kv[1])[:top],
            int(statistics.median(counts)))


def print_jvm_starts(starts: dict[str, list[tuple[float, float]]]) -> None:
    """One probe JVM's start-up and one probe, per launch, alternated: medians, and each against the bare launch."""
    if not starts:
        return
    base: tuple[float, float] | None = None
    print(f"  one JVM start-up + one probe (median of {len(next(iter(starts.values())))}, alternated):")
    for label, runs in starts.items():
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        base = base or (wall, cpu)
        print(f"    {label:<42} wall {wall:5.2f} s ({wall / base[0]:.2f}x)  CPU {cpu:5.2f} s ({cpu / base[1]:.2f}x)")
    (w1, c1), (w2, c2) = ((statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
                          for v in list(starts.values())[-2:])
    print(f"    the class-data archive alone: wall {w2 / w1:.2f}x, CPU {c2 / c1:.2f}x", flush=True)


def print_breakdown(runs: list[dict[str, float]], imports: tuple[float, list[tuple[str, float]], int]) -> None:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if key in r]
        return statistics.median(values) if values else None

    total = med("total") or 0.0
    print(f"where the suite's {total:.2f} s go (median of {len(runs)} profiled runs; the segments follow each other):")
    for label, _, _ in SEGMENTS:
        v = med(label)
        if v is not None:
            print(f"  {label:<40} {v:6.2f} s  {100 * v / total:3.0f}%")
    if med("cpu python") is not None:
        print(f"  CPU: python {med('cpu python'):.2f} s, JVM {med('cpu jvm'):.2f} s "
              f"(the run's wall {total:.2f} s, on {os.cpu_count()} CPUs shared with the sandbox)")
    inside = []
    if med("jvm up (first line)") is not None:
        inside.append(f"JVM up at {med('jvm up (first line)'):.2f} s")
    if med("DNS done") is not None:
        inside.append(f"{med('DNS count'):.0f} pods' DNS done at {med('DNS done'):.2f} s "
                      f"({med('DNS each'):.2f} s each)")
    if med("JVM chains count") is not None:  # one handshake per address: the JVM's, its chain handed back
        inside.append(f"{med('JVM chains count'):.0f} chains from the JVM's handshakes")
    if med("handshakes done") is not None:
        inside.append(f"{med('handshakes count'):.0f} Python handshakes done at {med('handshakes done'):.2f} s "
                      f"({med('handshakes each'):.2f} s each)")
    if med("jvm exited") is not None and med("last job to the JVM") is not None:
        inside.append(f"last job to the JVM at {med('last job to the JVM'):.2f} s, "
                      f"JVM's verdicts in at {med('jvm exited'):.2f} s")
    if inside:
        print("  inside the gathering, from its start: " + "; ".join(inside))
    all_imports, costliest, modules = imports
    if costliest:
        shares = ", ".join(f"{name} {sec:.3f} s {100 * sec / all_imports:.0f}%" for name, sec in costliest)
        print(f"  imports: {all_imports:.2f} s under python -X importtime (which inflates them), {modules} modules, "
              f"by package: {shares}")


def print_large_breakdown(seg: dict[str, float], sandbox_cpu: float) -> None:
    """Where the time of the large run goes, on one line each: the segments, what the gathering waited on, and
    the CPU of the suite's Python, its JVM and the sandbox, which share the machine's CPUs."""
    parts = [f"{label.split(':')[0].split(',')[0]} {seg[label]:.2f} s" for label, _, _ in SEGMENTS if label in seg]
    print("  where they go: " + ", ".join(parts))
    inside = [f"{what} at {seg[key]:.2f} s" for key, what in (("DNS done", "DNS of every pod done"),
                                                              ("last job to the JVM", "last job to the JVM"),
                                                              ("jvm exited", "JVM's verdicts in")) if key in seg]
    if inside:
        print("  inside the gathering, from its start: " + ", ".join(inside))
    if "cpu jvm" in seg:
        print(f"  CPU: python {seg['cpu python']:.2f} s, JVM {seg['cpu jvm']:.2f} s, sandbox {sandbox_cpu:.2f} s: "
              f"{(seg['cpu total'] + sandbox_cpu) / (os.cpu_count() or 1):.2f} s of wall on {os.cpu_count()} CPUs "
              "at best", flush=True)
