"""``python -m cutover truststore|bundle PATH``: look at a store or a provider's bundle before you test.

For the integration admin who wants to see what is in a store or a provider's bundle the way cutover
(and Java) sees it, without the gates. Exit 0 on success, 1 when the bundle does not link, 2 on bad
input; every error is one paragraph naming the file.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from cutover.base import exit_codes
from cutover.base.certs import CertInfo
from cutover.base.text import printable
from cutover.stores import bundle as bundle_mod
from cutover.stores import password as store_password
from cutover.stores import truststore


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
    """List a store's entries as Java lists them; asks for the password only where a person can answer."""
    password = store_password.from_env(password_env)
    if password is None and sys.stdin.isatty():
        try:
            password = store_password.ask(f"Password of {path} ({password_env} is not set; empty for none): ")
        except store_password.NotTyped as e:
            print(f"cutover: {e}; nothing was read. Run again and type it, or export {password_env} with the "
                  f"password of {path}.", file=sys.stderr)
            return exit_codes.BAD_INPUT
    try:
        contents = truststore.read(path, password, password_env=password_env, path_from="the command's PATH",
                                   env_from="--password-env")
    except truststore.TruststoreError as e:
        print(f"cutover: {e}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    now = dt.datetime.now(dt.UTC)
    if as_json:
        doc = {
            "path": str(contents.path), "store_type": contents.store_type,
            "entries": [{
                "alias": entry.alias, "kind": entry.kind,
                "certificate": entry.cert.to_json() if entry.cert else None,
                "flags": _flags(entry.kind, entry.cert, now),
            } for entry in contents.entries],
        }
        print(json.dumps(doc, indent=2))
        return exit_codes.OK
    rows = []
    for entry in contents.entries:
        c = entry.cert
        rows.append([
            printable(entry.alias, 40), entry.kind,
            printable(c.subject, 60) if c else "-", printable(c.issuer, 60) if c else "-",
            ("CA" if c.is_ca else "end-entity") if c else "-",
            f"{c.not_after:%Y-%m-%d}" if c else "-", c.sha256 if c else "-",
            ", ".join(_flags(entry.kind, c, now)),
        ])
    print(f"{contents.path}: {contents.store_type}, {len(contents.java_entries)} entries as Java lists them")
    print(_table(rows, ["alias", "kind", "subject", "issuer", "CA/end-entity", "not after", "SHA-256", "flags"]))
    return exit_codes.OK


def cmd_bundle(path: Path, as_json: bool) -> int:
    """Classify a bundle's certificates; exit 1 when its chain does not link, which is the provider's to fix."""
    if not path.exists():
        print(f"cutover: bundle {path} does not exist. Give the provider's zip, a folder or a PEM/PKCS7 file.",
              file=sys.stderr)
        return exit_codes.BAD_INPUT
    try:
        b = bundle_mod.read(path)
    except bundle_mod.BundleError as e:
        print(f"cutover: {e}", file=sys.stderr)
        return exit_codes.BAD_INPUT if e.not_a_bundle else exit_codes.NOT_OK
    parts = [("root", b.root), *(("intermediate", c) for c in b.intermediates), *(("server", c) for c in b.servers)]
    if as_json:
        print(json.dumps({"path": str(path), "links": True, "certificates": [
            {"role": role, "file": b.files.get(c.sha256), **c.to_json()} for role, c in parts]}, indent=2))
        return exit_codes.OK
    rows = [[role, printable(c.subject, 60), printable(c.issuer, 60), f"{c.not_after:%Y-%m-%d}", c.sha256,
             printable(b.files.get(c.sha256, ""), 50)] for role, c in parts]
    print(f"{path}: the chain links (root -> {len(b.intermediates)} intermediate(s) -> {len(b.servers)} server(s))")
    print(_table(rows, ["role", "subject", "issuer", "not after", "SHA-256", "from"]))
    return exit_codes.OK
