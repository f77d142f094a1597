"""``python -m cutover.sandbox``: serve the simulated staging edge until Ctrl-C, for pytest in another shell."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from cutover.sandbox import PASSWORD_ENV, SCENARIOS, Sandbox, SandboxError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cutover.sandbox", description=__doc__)
    p.add_argument("--scenario", default="good", help="fault to simulate (default: good); --list shows them")
    p.add_argument("--pods", type=int, default=2, help="pods per data centre (default 2)")
    p.add_argument("--latency-ms", type=int, default=0, help="delay added to every DNS answer and TLS accept")
    p.add_argument("--dir", type=Path, help="folder for its files (default: a temporary one, removed at exit)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = p.parse_args(argv)
    if args.list:
        for s in SCENARIOS.values():
            print(f"{s.name:28} {s.description}")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        sandbox = Sandbox(args.scenario, workdir=args.dir, pods_per_dc=args.pods, latency_ms=args.latency_ms).start()
    except SandboxError as e:
        print(f"cutover sandbox: {e}", file=sys.stderr)
        return 2
    try:
        cfg = sandbox.config_path
        if os.name == "nt":  # PowerShell, the shell a Windows QA laptop opens
            export = f'$env:{PASSWORD_ENV} = Get-Content "{sandbox.password_file}"'
        else:
            export = f'export {PASSWORD_ENV}="$(cat {sandbox.password_file})"'
        print(f"cutover sandbox running: scenario '{sandbox.scenario.name}' ({sandbox.scenario.description}),\n"
              f"  {len(sandbox.datacenters)} data centres x {sandbox.pods_per_dc} pods, all on 127.0.0.0/8.\n"
              f"  files: {sandbox.workdir}\n"
              + (f"  CONNECT proxy ({sandbox.proxy.behaviour}): {sandbox.proxy.url}, its log in "
                 f"{sandbox.workdir / 'proxy.log'}\n" if sandbox.proxy is not None else "")
              +
              "Point pytest at it from another shell, in any folder (cutover's plugin finds its checks):\n"
              f"  {export}\n"
              f"  pytest --datacenters {cfg}\n"
              "Ctrl-C stops it.", flush=True)
        stop.wait()
    finally:
        sandbox.stop()
        print("cutover sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
