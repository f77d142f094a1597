"""``cutover init URL_OR_HOST...``: a first datacenters.toml from what a user has, their pods' URLs and the zips.

A user starts from the browser's address bar and the provider's zips attached to the SR, not from our
reference; hand-writing the file was where a first run stalled. Each pod goes into its data centre (the
``fa.<dc>.`` of its hostname; ocs pods under ``[datacenters.ocs]``), each data centre gets the bundle whose
server certificate names its pods (else the zip whose file name has its code), and, with a truststore, the
aliases the bundle's root and intermediate already sit under. The file loads with no edit.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cutover.config import KNOWN_DATACENTERS, ConfigError, load
from cutover.config.pods import host_of
from cutover.stores import bundle as bundle_mod
from cutover.stores import password as store_password
from cutover.stores import truststore as truststore_mod

_DC_IN_HOST = re.compile(r"\.fa\.([a-z0-9-]+)\.")
_CLI = Path("cutover init")


class InitError(Exception):
    """Why no file was written; the message names the argument or file and the fix."""


@dataclass
class _Dc:
    """One data centre being written: its pods (TOML values) and what was found for it."""

    code: str
    pods: list[tuple[str, str]] = field(default_factory=list)  # (TOML value, the hostname)
    bundle: bundle_mod.Bundle | None = None
    why: str = ""
    aliases: dict[str, str | None] = field(default_factory=dict)  # root/intermediate -> alias in the store
    others: dict[str, list[str]] = field(default_factory=dict)  # root/intermediate -> its other aliases there


def datacentre_of(host: str) -> str:
    """``abcd.fa.us2.oraclecloud.com`` -> us2; ``x.fa.em1.ukg.oraclecloud.com`` -> em1; no ``fa.<dc>.``: ocs."""
    m = _DC_IN_HOST.search(f".{host}")
    return m.group(1) if m else "ocs"


def _pod_value(host: str, port: int | None, dc: str) -> str:
    """The shortest entry that means this pod: its name when the template makes its hostname, else the
    hostname, else (with a port) its URL."""
    if port is not None and port != 443:
        return f'"https://{host}:{port}/"'
    if host == f"{host.split('.')[0]}.fa.{dc}.oraclecloud.com":
        return f'"{host.split(".")[0]}"'
    return f'"{host}"'


def _check_scheme(text: str) -> None:
    """A scheme one or two keystrokes from https (``htps://``, ``hhttps://``, ``https;//``) is a typo: refused,
    naming it, before anything is written; a file that silently checked the host anyway would hide it."""
    scheme, sep, rest = text.strip().partition("//")
    scheme = scheme.rstrip(":;").lower() if sep else ""
    if not sep or scheme in ("https", "http"):
        return
    if _distance(scheme, "https") <= 2:
        raise InitError(f"cutover init: {text!r} starts with {text.strip()[:len(text.strip()) - len(rest)]!r}, a "
                        f"typo of https://; write https://{rest}")


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: how many keystrokes apart two short words are."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _group(urls: list[str]) -> dict[str, _Dc]:
    dcs: dict[str, _Dc] = {}
    seen: dict[str, str] = {}
    for text in urls:
        _check_scheme(text)
    for text in urls:
        try:
            host, port, _ = host_of(_CLI, "argument", text)
        except ConfigError as e:
            raise InitError(str(e)) from None
        if host in seen:
            raise InitError(f"cutover init: {text!r} and {seen[host]!r} are the same pod ({host}); give it once.")
        seen[host] = text
        code = datacentre_of(host)
        dcs.setdefault(code, _Dc(code)).pods.append((_pod_value(host, port, code), host))
    return dcs


def _match_bundles(dcs: dict[str, _Dc], folder: Path) -> None:
    """By content first (a server certificate covering one of the pods), then by a code in the file name."""
    if not folder.is_dir():
        raise InitError(f"cutover init: --bundles {folder} is not a folder; give the folder holding the zips.")
    bundles = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".zip", ".pem", ".crt") or path.is_dir():
            try:
                bundles.append(bundle_mod.read(path))
            except bundle_mod.BundleError:
                continue  # not a provider bundle: other files may sit in the same folder
    for dc in dcs.values():
        for b in bundles:
            named = [h for _, h in dc.pods if any(s.covers(h) for s in b.servers)]
            if named:
                dc.bundle, dc.why = b, f"its server certificate names {named[0]}"
                break
        else:
            for b in bundles:
                if dc.code in re.split(r"[^a-z0-9-]+", b.path.stem.lower()):
                    dc.bundle, dc.why = b, f"its file name has {dc.code}"
                    break


def _find_aliases(dcs: dict[str, _Dc], store: Path, password_env: str) -> None:
    password = store_password.from_env(password_env)
    try:
        contents = truststore_mod.read(store, password, password_env=password_env, path_from="--truststore",
                                       env_from="--password-env")
    except truststore_mod.TruststoreError as e:
        raise InitError(f"cutover init: {e}") from None
    by_sha: dict[str, list[str]] = {}
    for entry in contents.entries:
        if entry.cert is not None:
            by_sha.setdefault(entry.cert.sha256, []).append(entry.alias)
    for dc in dcs.values():
        if dc.bundle is not None:
            inter = dc.bundle.intermediates[0] if dc.bundle.intermediates else None
            for kind, cert in (("root", dc.bundle.root), ("intermediate", inter)):
                dc.aliases[kind], dc.others[kind] = _alias_for(dc.code, by_sha.get(cert.sha256, []) if cert else [])


def _alias_for(code: str, aliases: list[str]) -> tuple[str | None, list[str]]:
    """Of the aliases one certificate sits under in a shared store, this data centre's: the one whose name
    carries its code (``oracle-em3-root`` for em3), else the first in alphabetical order; and the others."""
    ordered = sorted(aliases)
    own = [a for a in ordered if code in re.split(r"[^a-z0-9]+", a.lower())]
    chosen = own[0] if own else ordered[0] if ordered else None
    return chosen, [a for a in ordered if a != chosen]


def _relative(path: Path, base: Path) -> str:
    """A path as the file writes it: relative to the file's folder when under it, since load() reads it so."""
    path = path.resolve()
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def _aliases_lines(dc: _Dc, have_store: bool) -> list[str]:
    lines = []
    for kind in ("root", "intermediate"):
        alias = dc.aliases.get(kind)
        if alias:
            also = dc.others.get(kind)
            lines.append(f'{kind}_alias = "{alias}"   # the bundle\'s {kind} CA sits under it in the truststore'
                         + (f" (also under {', '.join(also)})" if also else ""))
        else:
            why = "not in the truststore yet: import it under this alias" if have_store else \
                "the alias you import it under (keytool -list shows yours)"
            lines.append(f'{kind}_alias = "oracle-{dc.code}-{kind}"   # the bundle\'s {kind} CA: {why}')
    return lines


def _datacentre_lines(dc: _Dc, base: Path, bundles: Path | None, have_store: bool) -> list[str]:
    lines = [""]
    if dc.code == "ocs":
        lines += ["# Pods on the newer infrastructure (<id>.fa.ocs.oraclecloud.com): their hostnames name no data",
                  "# centre. Regroup them: move each to the data centre whose bundle it uses, or rename this table",
                  "# after their region, e.g. [datacenters.us-ashburn-1]; ids stay <data centre>/<pod>."]
    lines.append(f"[datacenters.{dc.code}]")
    if dc.code in KNOWN_DATACENTERS:
        lines.append(f'name = "{KNOWN_DATACENTERS[dc.code]}"')
    lines.append("pods = [" + ", ".join(v for v, _ in dc.pods) + "]")
    if dc.bundle is not None:
        lines.append(f'bundle = "{_relative(dc.bundle.path, base)}"   # matched: {dc.why}')
        lines += _aliases_lines(dc, have_store)
    elif bundles is not None:
        lines.append(f"# bundle = \"...\"   # no bundle in {bundles} names these pods or has {dc.code} in its name")
    else:
        lines.append(f'# bundle = "certs/{dc.code}.zip"   # the provider\'s zip for {dc.code} (see --bundles DIR)')
    return lines


def render(dcs: dict[str, _Dc], out: Path, args: argparse.Namespace) -> str:
    """The file's text: commented so a person can check each choice it made."""
    base = out.resolve().parent
    store = _relative(args.truststore, base) if args.truststore else "client-truststore.jks"
    lines = [
        f"# datacenters.toml, written by `cutover init` from: {' '.join(args.hosts)}",
        "# Every key is in cutover's docs/configuration.md. Check each data centre below, then run:",
        f"#   export {args.password_env}=...",
        f"#   pytest --datacenters={out.name}",
        "",
        "[truststore]",
        f'path = "{store}"' + ("" if args.truststore else "   # the store your Java client uses: put it here"),
        f'password_env = "{args.password_env}"   # the variable holding its password, never the file',
        "",
        "[run]",
        "nameservers = [" + ", ".join(f'"{n}"' for n in args.nameserver) + "]"
        + ("" if args.nameserver else "   # empty: the system resolver; e.g. [\"10.0.0.53\"]"),
    ]
    for dc in dcs.values():
        lines += _datacentre_lines(dc, base, args.bundles, args.truststore is not None)
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    """The init command, with the options cutover.cli parsed; raises InitError (exit 2) before writing."""
    out: Path = args.out
    if out.exists():
        raise InitError(f"cutover init: {out} already exists; cutover init never overwrites a file. Move it "
                        "away, or give another --out FILE.")
    dcs = _group(args.hosts)
    if args.bundles is not None:
        _match_bundles(dcs, args.bundles)
    if args.truststore is not None:
        _find_aliases(dcs, args.truststore, args.password_env)
    text = render(dcs, out, args)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("x", encoding="utf-8") as f:  # "x": a file that appeared meanwhile is not overwritten either
        f.write(text)
    if args.truststore is not None:  # with the store, the file must load as written: prove it now
        try:
            load(out, environ=os.environ)
        except ConfigError as e:
            out.unlink()
            raise InitError(f"cutover init: the file it wrote did not load ({e}); nothing was kept.") from None
    pods = sum(len(dc.pods) for dc in dcs.values())
    print(f"wrote {out}: {pods} pod(s) in {len(dcs)} data centre(s) ({', '.join(dcs)}).")
    for dc in dcs.values():
        print(f"  {dc.code}: bundle {dc.bundle.path.name + ' (' + dc.why + ')' if dc.bundle else 'none matched'}")
    print(f"next: export {args.password_env}=... and run pytest --datacenters={out}")
    return 0
