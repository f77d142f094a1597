"""``python -m cutover truststore|bundle PATH``: look before you test; ``prepare``: a fixed copy of the store.

For the integration admin who wants to see what is in a store or a provider's bundle the way cutover
(and Java) sees it, without the gates. Exit 0 on success, 1 when the bundle does not link, 2 on bad
input; every error is one paragraph naming the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cutover.config import DEFAULT_PASSWORD_ENV
from cutover.stores import bundle as bundle_mod
from cutover.stores import truststore
from cutover.stores.certs import CertInfo
from cutover.text import printable


def _flags(kind: str, cert: CertInfo | None, now: dt.datetime) -> list[str]:
    flags = []
    if kind == "ignoredCertificate":
        flags.append("not trusted by Java")
    if cert is not None:
        if cert.not_after < now:
            flags.append("expired")
        elif cert.not_before > now:
            flags.append("not yet valid")
        if kind == "trustedCertEntry" and not cert.is_ca:
            flags.append("end-entity pinned")
    return flags


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
                     for r in [header, ["-" * w for w in widths], *rows])


def cmd_truststore(path: Path, password_env: str, as_json: bool) -> int:
    password = os.environ.get(password_env)
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"Password of {path} ({password_env} is not set; empty for none): ") or None
    try:
        contents = truststore.read(path, password)
    except truststore.TruststoreError as e:
        if password is None and "password-protected" in str(e):
            e = truststore.TruststoreError(f"{e} Here: export {password_env}=... and run again.")
        print(f"cutover: {e}", file=sys.stderr)
        return 2
    now = dt.datetime.now(dt.UTC)
    if as_json:
        doc = {
            "path": str(contents.path), "store_type": contents.store_type,
            "entries": [{
                "alias": e.alias, "kind": e.kind,
                "certificate": e.cert.to_json() if e.cert else None,
                "flags": _flags(e.kind, e.cert, now),
            } for e in contents.entries],
        }
        print(json.dumps(doc, indent=2))
        return 0
    rows = []
    for e in contents.entries:
        c = e.cert
        rows.append([
            printable(e.alias, 40), e.kind,
            printable(c.subject, 60) if c else "-", printable(c.issuer, 60) if c else "-",
            ("CA" if c.is_ca else "end-entity") if c else "-",
            f"{c.not_after:%Y-%m-%d}" if c else "-", c.sha256 if c else "-",
            ", ".join(_flags(e.kind, c, now)),
        ])
    print(f"{contents.path}: {contents.store_type}, {len(contents.java_entries)} entries as Java lists them")
    print(_table(rows, ["alias", "kind", "subject", "issuer", "CA/end-entity", "not after", "SHA-256", "flags"]))
    return 0


def cmd_bundle(path: Path, as_json: bool) -> int:
    if not path.exists():
        print(f"cutover: bundle {path} does not exist. Give the provider's zip, a folder or a PEM/PKCS7 file.",
              file=sys.stderr)
        return 2
    try:
        b = bundle_mod.read(path)
    except bundle_mod.BundleError as e:
        print(f"cutover: {e}", file=sys.stderr)
        return 1
    parts = [("root", b.root), *(("intermediate", c) for c in b.intermediates), *(("server", c) for c in b.servers)]
    if as_json:
        print(json.dumps({"path": str(path), "links": True, "certificates": [
            {"role": role, "file": b.files.get(c.sha256), **c.to_json()} for role, c in parts]}, indent=2))
        return 0
    rows = [[role, printable(c.subject, 60), printable(c.issuer, 60), f"{c.not_after:%Y-%m-%d}", c.sha256,
             printable(b.files.get(c.sha256, ""), 50)] for role, c in parts]
    print(f"{path}: the chain links (root -> {len(b.intermediates)} intermediate(s) -> {len(b.servers)} server(s))")
    print(_table(rows, ["role", "subject", "issuer", "not after", "SHA-256", "from"]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cutover", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    ts = sub.add_parser("truststore", help="list a truststore as Java sees it")
    ts.add_argument("path", type=Path)
    ts.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV,
                    help=f"environment variable holding the password (default {DEFAULT_PASSWORD_ENV})")
    ts.add_argument("--json", action="store_true", help="print JSON for scripts")
    bd = sub.add_parser("bundle", help="classify a provider bundle and check that its chain links")
    bd.add_argument("path", type=Path)
    bd.add_argument("--json", action="store_true", help="print JSON for scripts")
    pr = sub.add_parser("prepare", help="a fixed copy of the client's truststore, proven against staging by the gates")
    pr.add_argument("--datacenters", type=Path, required=True, help="the datacenters.toml of the run")
    pr.add_argument("--out", type=Path, required=True, help="the new store to write (the original is only read)")
    pr.add_argument("--client", metavar="NAME", help="the client whose store to prepare (when there are several)")
    pr.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pr.add_argument("--reports-dir", type=Path, help="where the prepare run's reports go (default: reports/)")
    pr.add_argument("pytest_args", nargs="*", metavar="-- PYTEST-OPTION",
                    help="more options for the gate runs after --, e.g. -- --nameserver=10.0.0.53")
    args = p.parse_args(argv)
    if args.command == "prepare":
        from cutover.cli import prepare

        try:
            return prepare.main(args)
        except prepare.PrepareError as e:
            print(f"cutover prepare: {printable(str(e), 4000, keep=chr(10))}", file=sys.stderr)
            return 2
    if args.command == "truststore":
        return cmd_truststore(args.path, args.password_env, args.json)
    return cmd_bundle(args.path, args.json)


if __name__ == "__main__":
    sys.exit(main())
