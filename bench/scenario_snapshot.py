"""Every sandbox scenario's outcome, masked for comparison: ``python bench/scenario_snapshot.py OUT_DIR``.

A restructuring must not change behaviour (issue 31): this runs each scenario once as a user does
(``pytest --sandbox=SCENARIO``), and writes its JSON evidence with what differs by construction masked
(times and durations, the generated PKI's fingerprints, serials and dates, ports, temporary paths).
Run it before and after a change, then ``diff -r BEFORE AFTER``: the failing set, the fix plan, every
record's message and the rest of the JSON are compared as they are.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z)?"), "<TIME>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<DATE>"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "<STAMP>"),
    (re.compile(r"\b[0-9A-Fa-f]{64}\b"), "<SHA256>"),
    (re.compile(r"\b[0-9A-Fa-f]{12,40}\b(\.\.\.)?"), "<HEX>"),
    (re.compile(r"/tmp/[^\s'\"),;]*"), "<TMP>"),
    (re.compile(r"(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost):\d+"), r"\1:<PORT>"),
    (re.compile(r"\b(port|Port) \d+"), r"\1 <PORT>"),
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms)\b"), "<DURATION>"),
    (re.compile(r"\b\d+ MB\b"), "<MB>"),
    (re.compile(r"@\d+\b"), "@<PORT>"),
    (re.compile(r"\d{2}:\d{2}:\d{2} UTC"), "<HMS> UTC"),
    (re.compile(r"\bin \d+ days\b"), "in <N> days"),
]
_DROP = {"start", "stop", "duration_s", "started", "finished", "serial", "not_before", "not_after", "sha256",
         "truststore_sha256", "environment", "when", "port"}


def mask(value: object) -> object:
    if isinstance(value, dict):
        return {k: "<MASKED>" if k in _DROP else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        for pattern, repl in _MASKS:
            value = pattern.sub(repl, value)
        return value
    return value


def run(scenario: str, out: Path) -> str:
    with tempfile.TemporaryDirectory(prefix=f"snap-{scenario}-") as tmp:
        extra = ["--timeout", "2"] if scenario == "silent-dc" else []
        proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "checks"), f"--sandbox={scenario}",
                               f"--reports-dir={tmp}", "-q", "-p", "no:cacheprovider", *extra],
                              cwd=tmp, capture_output=True, text=True, timeout=600,
                              # The sandbox's DNS answers in its record sets' order, which follows str hashing:
                              # one seed, so that a pod with two staging addresses lists them alike in both runs.
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        files = [p for p in Path(tmp).glob("*.json") if "SR-" not in p.name]
        if len(files) != 1:
            return f"{scenario}: {len(files)} JSON files, exit {proc.returncode}\n{proc.stdout[-2000:]}"
        doc = mask(json.loads(files[0].read_text()))
        # Dict keys masked too (pods by IP in lifecycle leaves and trust).
        text = json.dumps(doc, indent=1, sort_keys=False)
        for pattern, repl in _MASKS:
            text = pattern.sub(repl, text)
        (out / f"{scenario}.json").write_text(text + "\n")
        (out / f"{scenario}.exit").write_text(f"{proc.returncode}\n")
        terminal = proc.stdout.replace(tmp, "<TMP>")
        for pattern, repl in _MASKS:
            terminal = pattern.sub(repl, terminal)
        (out / f"{scenario}.out").write_text(terminal)
        return f"{scenario}: exit {proc.returncode}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--scenario", action="append", help="only these (repeatable)")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from cutover.sandbox import SCENARIOS

    args.out.mkdir(parents=True, exist_ok=True)
    names = args.scenario or list(SCENARIOS)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for line in pool.map(lambda s: run(s, args.out), names):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
