"""``cutover init URL_OR_HOST...``: a first datacenters.toml from what a user has, their pods' URLs and the zips.

A user starts from the browser's address bar and the provider's zips attached to the SR, not from our
reference; hand-writing the file was where a first run stalled. Each pod goes into its data centre (the
``fa.<dc>.`` of its hostname), each data centre gets the bundle whose server certificate names its pods (else the
zip whose file name has its code), an ocs pod (``<id>.fa.ocs.oraclecloud.com``, no data centre in its name) goes
where a bundle's server certificate names it (`place_ocs`), every pod and its staging twin are looked up first
(`cutover.cli.init_dns`) and, with a truststore, each data centre gets the aliases its bundle's root and
intermediate already sit under. The file loads with no edit and passes every gate on a good environment.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cutover.cli import init_dns
from cutover.config import KNOWN_DATACENTERS, ConfigError, load, parse_nameserver
from cutover.config.pods import host_of
from cutover.stores import bundle as bundle_mod
from cutover.stores import password as store_password
from cutover.stores import truststore as truststore_mod

_DC_IN_HOST = re.compile(r"\.fa\.([a-z0-9-]+)\.")
_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")  # what config.load takes as a table name
_CLI = Path("cutover init")
#: Where pods whose hostname names no data centre start (``<id>.fa.ocs.oraclecloud.com``), and stay when no bundle
#: names them.
OCS = "ocs"


class InitError(Exception):
    """Why no file was written; the message names the argument or file and the fix."""


@dataclass
class Group:
    """One data centre being written: its pods and what was found for it."""

    code: str
    pods: list[tuple[int | None, str]] = field(default_factory=list)  # (the URL's port, the hostname)
    bundle: bundle_mod.Bundle | None = None
    why: str = ""
    aliases: dict[str, str | None] = field(default_factory=dict)  # root/intermediate -> alias in the store
    others: dict[str, list[str]] = field(default_factory=dict)  # root/intermediate -> its other aliases there
    own_group: bool = False  # made for ocs pods whose bundle no data centre of the file uses
    joined: list[str] = field(default_factory=list)  # ocs pods placed here, and why
    seen: dict[str, init_dns.Found] = field(default_factory=dict)  # pod name -> what its look-up found


def datacentre_of(host: str) -> str:
    """``abcd.fa.us2.oraclecloud.com`` -> us2; ``x.fa.em1.ukg.oraclecloud.com`` -> em1; no ``fa.<dc>.``: ocs."""
    m = _DC_IN_HOST.search(f".{host}")
    return m.group(1) if m else OCS


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


def _group(urls: list[str]) -> dict[str, Group]:
    dcs: dict[str, Group] = {}
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
        dcs.setdefault(code, Group(code)).pods.append((port, host))
    return dcs


def _read_bundles(folder: Path) -> list[bundle_mod.Bundle]:
    if not folder.is_dir():
        raise InitError(f"cutover init: --bundles {folder} is not a folder; give the folder holding the zips.")
    bundles = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".zip", ".pem", ".crt") or path.is_dir():
            try:
                bundles.append(bundle_mod.read(path))
            except bundle_mod.BundleError:
                continue  # not a provider bundle: other files may sit in the same folder
    return bundles


def _match_bundles(dcs: dict[str, Group], folder: Path) -> dict[str, Group]:
    """By content first (a server certificate covering one of the pods), then by a code in the file name; then
    each ocs pod to the bundle that names it (`place_ocs`)."""
    bundles = _read_bundles(folder)
    ocs = dcs.pop(OCS, None)
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
    return place_ocs(dcs, ocs.pods if ocs else [], bundles)


def names(b: bundle_mod.Bundle, host: str) -> int | None:
    """How well the bundle's server certificates name `host`, as a TLS client matches them (RFC 6125; the CN
    when there is no DNS SAN, as Java falls back to): 0 by its own name, 1 by a wildcard, None not at all."""
    if any(n.lower().rstrip(".") == host for s in b.servers for n in s.sans):
        return 0
    return 1 if any(s.covers(host) for s in b.servers) else None


def place_ocs(dcs: dict[str, Group], pods: list[tuple[int | None, str]],
              bundles: list[bundle_mod.Bundle]) -> dict[str, Group]:
    """Each ocs pod (its hostname names no data centre) to the data centre whose bundle's server certificate names
    it, else to a group of its own with that bundle; a pod no bundle names stays in [datacenters.ocs], bundle-less.

    new_cert_staged compares what staging serves with the server certificates of the pod's bundle: a pod put
    beside a bundle that does not name it fails there, however right its data centre looked. Of several bundles
    naming it, one naming it exactly beats a wildcard, and one a data centre already uses beats a new group."""
    for port, host in pods:
        ranked = sorted((rank, all(dc.bundle is not b for dc in dcs.values()), i, b)
                        for i, b in enumerate(bundles) if (rank := names(b, host)) is not None)
        if not ranked:
            dcs.setdefault(OCS, Group(OCS)).pods.append((port, host))
            continue
        chosen = ranked[0][3]
        how = "names it" if ranked[0][0] == 0 else "names it by a wildcard"
        owner = next((dc for dc in dcs.values() if dc.bundle is chosen), None)
        if owner is None:
            code = _group_name(chosen, set(dcs))
            owner = dcs[code] = Group(code, bundle=chosen, why=f"its server certificate names {host}", own_group=True)
        owner.pods.append((port, host))
        if not owner.own_group:  # a group of its own says why in its header
            owner.joined.append(f"{host.split('.')[0]}: its hostname names no data centre; this bundle's server "
                                f"certificate {how}")
    return dcs


def _group_name(b: bundle_mod.Bundle, taken: set[str]) -> str:
    """A group's table name from its bundle's file: the data centre code in it (``us2.zip``), else the file's stem
    when it is a valid code (``us-ashburn-1.zip``), else ``ocs``; never one already written."""
    stem = b.path.stem.lower()
    known = [t for t in re.split(r"[^a-z0-9]+", stem) if t in KNOWN_DATACENTERS]
    tidy = re.sub(r"[^a-z0-9-]+", "-", stem).strip("-")
    base = known[0] if known else tidy if _CODE.match(tidy) else OCS
    code, n = base, 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    return code


def _find_aliases(dcs: dict[str, Group], store: Path, password_env: str) -> None:
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
    # The code as a whole word of the alias: us2 in oracle-us2-root, us-ashburn-1 in oracle-us-ashburn-1-root.
    own = [a for a in ordered if re.search(rf"(?<![a-z0-9]){re.escape(code)}(?![a-z0-9])", a.lower())]
    chosen = own[0] if own else ordered[0] if ordered else None
    return chosen, [a for a in ordered if a != chosen]


def _relative(path: Path, base: Path) -> str:
    """A path as the file writes it: relative to the file's folder when under it, since load() reads it so."""
    path = path.resolve()
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def _aliases_lines(dc: Group, have_store: bool) -> list[str]:
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


def _head_lines(dc: Group, bundles: Path | None) -> list[str]:
    """Why the table is as it is: ocs pods no bundle names, a group of their own, pods that joined, look-ups."""
    lines = []
    if dc.code == OCS and dc.bundle is None:
        lines += ["# Pods on the newer infrastructure (<id>.fa.ocs.oraclecloud.com): their hostnames name no data "
                  "centre,",
                  f"# and no bundle {'in ' + str(bundles) + ' ' if bundles is not None else ''}has a server "
                  "certificate naming them. Put their data centre's zip in the",
                  "# --bundles folder and run cutover init again: each goes where its bundle names it."]
    elif dc.own_group:
        lines += ["# Pods on the newer infrastructure (<id>.fa.ocs.oraclecloud.com) whose bundle no other data centre "
                  "here uses:",
                  "# a group of their own, named after the bundle's file; rename it after their region if you like."]
    lines += [f"# {j}" for j in dc.joined]
    lines += [f"# warning: {name}: {seen.line.split(': warning: ', 1)[1]}" for name, seen in dc.seen.items()
              if seen.warning]
    return lines


def _datacentre_lines(dc: Group, base: Path, bundles: Path | None, have_store: bool) -> list[str]:
    lines = ["", *_head_lines(dc, bundles), f"[datacenters.{dc.code}]"]
    if dc.code in KNOWN_DATACENTERS:
        lines.append(f'name = "{KNOWN_DATACENTERS[dc.code]}"')
    lines.append("pods = [" + ", ".join(_pod_value(host, port, dc.code) for port, host in dc.pods) + "]")
    if dc.bundle is not None:
        lines.append(f'bundle = "{_relative(dc.bundle.path, base)}"   # matched: {dc.why}')
        lines += _aliases_lines(dc, have_store)
    elif bundles is not None:
        lines.append(f"# bundle = \"...\"   # no bundle in {bundles} names these pods or has {dc.code} in its name; "
                     "their store gates skip until one is set")
    else:
        lines.append(f'# bundle = "certs/{dc.code}.zip"   # the provider\'s zip for {dc.code} (see --bundles DIR)')
    return lines


def _run_lines(dcs: dict[str, Group], nameservers: list[str]) -> list[str]:
    """[run]: the resolvers init asked (the run asks the same), and the private addresses it saw, if any."""
    lines = ["[run]", "nameservers = [" + ", ".join(f'"{n}"' for n in nameservers) + "]"
             + ("" if nameservers else "   # empty: the system resolver; e.g. [\"10.0.0.53\"]")]
    private = [f"{dc.code}/{name}" for dc in dcs.values() for name, seen in dc.seen.items() if seen.private]
    if private:
        who = ", ".join(private[:2]) + (" and others" if len(private) > 2 else "")
        lines.append(f"# allow_private_ips = true   # {who}"
                     " resolved to private or loopback addresses: set it if that resolver's split horizon is intended")
    return lines


def render(dcs: dict[str, Group], out: Path, args: argparse.Namespace) -> str:
    """The file's text: commented so a person can check each choice it made."""
    base = out.resolve().parent
    store = _relative(args.truststore, base) if args.truststore else "client-truststore.jks"
    run = "pytest" if out.name == "datacenters.toml" else f"pytest --datacenters={out.name}"
    lines = [
        f"# datacenters.toml, written by `cutover init` from: {' '.join(args.hosts)}",
        "# Every key is in cutover's docs/configuration.md. Check each data centre below, then, in this folder:",
        f"#   export {args.password_env}=...",
        f"#   {run}",
        "",
        "[truststore]",
        f'path = "{store}"' + ("" if args.truststore else "   # the store your Java client uses: put it here"),
        f'password_env = "{args.password_env}"   # the variable holding its password, never the file',
        "",
        *_run_lines(dcs, args.nameserver),
    ]
    for dc in dcs.values():
        lines += _datacentre_lines(dc, base, args.bundles, args.truststore is not None)
    return "\n".join(lines) + "\n"


def _look_up(dcs: dict[str, Group], nameservers: list[tuple[str, int]], no_resolve: bool,
             given: list[str]) -> list[str]:
    """Each pod's name and staging twin, through the resolvers the run will ask; one line a pod, printed before
    the file is written. A name that does not resolve is a warning on its pod: the file is still written."""
    if no_resolve:
        return ["not resolved (--no-resolve): each gate run resolves every pod afresh."]
    hosts = {f"{dc.code}/{host.split('.')[0]}": host for dc in dcs.values() for _, host in dc.pods}
    try:
        evidence = init_dns.resolve_all(hosts, nameservers)
    except init_dns.ResolveError as e:
        raise InitError(str(e)) from None
    for dc in dcs.values():
        for _, host in dc.pods:
            name = host.split(".")[0]
            dc.seen[name] = init_dns.found(f"{dc.code}/{name}", evidence[f"{dc.code}/{name}"])
    through = ", ".join(given) or "the system resolver"
    return [f"resolved {len(hosts)} pod(s) and their staging twins through {through}:",
            *(f"  {seen.line}" for dc in dcs.values() for seen in dc.seen.values())]


def main(args: argparse.Namespace) -> int:
    """The init command, with the options cutover.cli parsed; raises InitError (exit 2) before writing."""
    out: Path = args.out
    dcs = _group(args.hosts)  # a typo'd scheme is refused before anything else is looked at
    if out.exists():
        raise InitError(f"cutover init: {out} already exists; cutover init never overwrites a file. Move it "
                        "away, or give another --out FILE.")
    try:
        nameservers = [parse_nameserver(n) for n in args.nameserver]
    except ConfigError as e:
        raise InitError(f"cutover init: --nameserver: {e}") from None
    if args.bundles is not None:
        dcs = _match_bundles(dcs, args.bundles)
    if args.truststore is not None:
        _find_aliases(dcs, args.truststore, args.password_env)
    for line in _look_up(dcs, nameservers, args.no_resolve, args.nameserver):
        print(line)
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
    _summary(dcs, out, args.password_env)
    return 0


def _summary(dcs: dict[str, Group], out: Path, password_env: str) -> None:
    pods = sum(len(dc.pods) for dc in dcs.values())
    print(f"wrote {out}: {pods} pod(s) in {len(dcs)} data centre(s) ({', '.join(dcs)}).")
    for dc in dcs.values():
        print(f"  {dc.code}: bundle {dc.bundle.path.name + ' (' + dc.why + ')' if dc.bundle else 'none matched'}")
    warned = [f"{dc.code}/{name}" for dc in dcs.values() for name, seen in dc.seen.items() if seen.warning]
    if warned:
        print(f"warning: {', '.join(warned)} did not resolve (see above; a comment in {out} says so too): check the "
              "name, or ask the provider whether the pod is on Akamai staging yet.")
    run = "pytest" if out.name == "datacenters.toml" and out.parent.resolve() == Path.cwd().resolve() \
        else f"pytest --datacenters={out}"
    print(f"next: export {password_env}=... and run {run}")
