"""The HTML report's fragments: per-row evidence, the matrix on top, the fix plan, the run's summary parts.

The HTML report is attached to the provider's service request and read by people who have never
seen our code, so every fragment says what was observed in words, and every string that came from
the network or a file is escaped: a certificate's CN is written by whoever made the certificate.
pytest-html's page (cutover.plugin.report) and the per-SR pages (cutover.outputs.per_sr) are built
from the same fragments.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import get_args
from urllib.parse import quote

from cutover.base.certs import CertInfo
from cutover.base.text import html_text as _text
from cutover.config import Config, DataCenter
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, PodTrust
from cutover.gates.fixplan import Step
from cutover.gates.registry import BY_NAME, View
from cutover.history.phases import CUT_OVER, ROLLING, Phase
from cutover.judge.wire import TrustVerdict
from cutover.net.tls import ChainFetch
from cutover.outputs.fixtext import (
    changed,
    cmd_warning,
    command,
    fixes_text,
    keytool_note,
    password_vars,
    powershell_line,
    read_line,
    script,
)
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents, StoreEntry

e = html.escape

#: The report's style sheet (package data, read once): one page of CSS is easier to edit as CSS.
STYLE = "<style>\n" + resources.files("cutover.outputs").joinpath("report.css").read_text(encoding="utf-8") \
    + "</style>"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='cutover-table'><tr>{head}</tr>{body}</table>"


def chain_table(chain: Sequence[CertInfo]) -> str:
    return _table(
        ["subject", "issuer", "serial", "SHA-256", "not before", "not after", "SANs"],
        ([_text(c.subject), _text(c.issuer), e(c.serial), e(c.sha256), f"{c.not_before:%Y-%m-%d %H:%M}Z",
          f"{c.not_after:%Y-%m-%d %H:%M}Z", _text(", ".join(c.sans) or "-")] for c in chain),
    )


#: Our sentence for each kind of refusal (cutover.judge.reasons); the judge's own words follow it, labelled.
_REFUSED = {
    "no_anchor": "the truststore, as the client's JVM opens it, holds no trusted certificate",
    "no_trust_path": "no path from the chain to a certificate in the truststore",
    "name_mismatch": "the certificate does not name the host",
    "expired": "a certificate of the chain has expired",
    "not_yet_valid": "a certificate of the chain is not valid yet",
    "revocation_unknown": "the revocation status could not be learnt",
    "no_certificate": "the TLS handshake failed before any certificate was sent",
    "client_option": "the client's own https.* options ended the handshake",
    "no_sni": "the client sends no SNI and was served the edge's default certificate",
    "needs_jvm": "not judged: the client's settings need its own JVM",
    "proxy_error": "the proxy failed",
    "timeout": "the connection timed out",
    "refused": "the connection was refused",
    "unreachable": "the address is unreachable",
    "reset": "the connection was reset",
    "closed": "the server closed the connection",
    "not_tls": "the server does not speak TLS there",
}


def _verdict_text(v: TrustVerdict) -> str:
    """``rejected by the JVM: <our sentence>; Java said: "<its words>"``: what a library says is labelled as
    such, after our own sentence, never shown as if it were ours."""
    judge = "the JVM" if v.engine == "jvm" else "cryptography (approximate)"
    when = "" if v.when == "now" else f" at {v.when}"
    via = f" (through proxy {v.via})" if v.via else (" (direct)" if v.engine == "jvm" else "")
    said = "Java said" if v.engine == "jvm" else "cryptography said"
    if v.ok:
        return _text(f"trusted by {judge}{when}{via}" + (f": {v.reason}" if v.reason else ""), 2000)
    ours = _REFUSED.get(str(v.failure), "rejected")
    return (_text(f"rejected by {judge}{when}{via}: {ours}", 2000)
            + f"; <span class='cutover-said'>{said}: &ldquo;{_text(v.reason, 2000)}&rdquo;</span>")


def pod_html(pod: PodEvidence, client: ClientEvidence | None = None, gate: str | None = None,
             phase: Phase | None = None) -> str:
    """What was observed for one pod that `gate` decided on (all of it when None), with `client`'s verdicts
    and the pod's phase.

    Each pod gate's row shows its own part (DNS; the staging chains and the JVM's verdicts; the leaves
    compared), so a pod's evidence is in the report once, not three times over. The phase is on every row:
    each gate's decision depends on it.
    """
    st = pod.staging
    views = set(BY_NAME[gate].shows) if gate is not None else set(get_args(View))
    trust = client.verdicts.get(pod.target.id, PodTrust(())) if client is not None else PodTrust(())
    now = dt.datetime.now(dt.UTC)
    rows: list[tuple[str, str]] = [
        ("phase", _text(f"{phase.name}: {phase.why}" + (f"; {phase.since_text}" if phase.since else ""), 1000)
         if phase is not None else "-"),
        ("production hostname", _text(pod.target.hostname)),
    ]
    if "dns" in views:
        rows += [
            ("CNAME chain", " &rarr; ".join(_text(n) for n in st.cname_chain) or "-"),
            ("edge hostname", _text(st.edge_hostname or "none found")),
            ("staging name", _text(st.staging_name or "-")),
            ("staging chain", " &rarr; ".join(_text(n) for n in st.staging_chain) or "-"),
            ("production IPs", e(", ".join(st.production_ips) or "-")),
            ("DNS problem", _text(st.problem or "none")),
        ]
        rows += [(f"hosts-file line ({e(ip)})", f"<code>{e(ip)} {_text(pod.target.hostname)}</code>")
                 for ip in st.staging_ips]
    rows.append(("staging IPs", e(", ".join(st.staging_ips) or "-")))
    if "trust" in views and client is not None:
        rows.append(("judge", _text(client.jvm.label if client.jvm else (client.engine_note or "-"))))
        rows += [(f"verdict at {e(v.ip)}", _verdict_text(v)) for v in trust.verdicts]
        rows += [(f"{_text(label)} at {e(v.ip)}", _verdict_text(v)) for label, v in trust.later]
        rows += [(f"web-PKI (strict) at {e(v.ip)}", _verdict_text(v)) for v in trust.strict]
        rows += [(f"verdict at production {e(v.ip)}", _verdict_text(v)) for v in trust.production]
    if "leaves" in views:
        for kind, fetches in (("staging", pod.staging_chains), ("production", pod.production_chains)):
            for f in fetches:
                if f.leaf is not None:
                    rows.append((f"{kind} leaf at {e(f.ip)}", f"{_text(f.leaf.short)}, "
                                 f"{(f.leaf.not_after - now).days} day(s) left"))
        if pod.target.renewal_date is not None:
            rows.append(("renewal date", f"{pod.target.renewal_date:%Y-%m-%d} "
                         f"({(pod.target.renewal_date - now.date()).days} day(s) left)"))
    out = _table(["", ""], rows)
    # chain_trusted judges production too once it serves the new chain (or where its JVM rejects it): show it.
    production_judged = (phase is not None and phase.name in (CUT_OVER, ROLLING)) or \
        any(not v.ok for v in trust.production)
    shown = [("staging", pod.staging_chains)] if "staging chains" in views else []
    if "production chains" in views and (gate is None or "trust" not in views or production_judged):
        shown.append(("production", pod.production_chains))
    for kind, fetches in shown:
        for f in fetches:
            out += _fetch_html(kind, f)
    return out


def _fetch_html(kind: str, f: ChainFetch) -> str:
    via = f", through proxy {_text(f.via)}" if f.via else ""
    head = f"chain presented at {kind} {e(f.ip)}:{f.port} (SNI {_text(f.sni)}{via})"
    if f.error:
        return f"<p>{head}: {_text(f.error)}</p>"
    return f"<p>{head}, {e(f.protocol or '?')}, {len(f.chain)} certificate(s):</p>" + chain_table(f.chain)


STORE_ANCHOR = "cutover-store"


def store_anchors(ev: Evidence) -> dict[str, str]:
    """Client name -> the anchor of its store's table: ``cutover-store`` for the first client's store,
    ``cutover-store-<client>`` for another store; clients that share a store share its table."""
    out: dict[str, str] = {}
    anchor_of: dict[str, str] = {}
    for name, c in ev.clients.items():
        # By every file: a union that begins with another client's file is a store of its own.
        where = ", ".join(map(str, c.store.files)) if c.store is not None else f"unreadable:{name}"
        if where not in anchor_of:
            anchor_of[where] = STORE_ANCHOR if not anchor_of else f"{STORE_ANCHOR}-{name}"
        out[name] = anchor_of[where]
    return out


def bundle_anchor(config: Config, dc_code: str) -> str:
    """Data centres that share one bundle file share its table: the anchor of the first of them."""
    dcs = {d.code: d for d in config.datacenters}
    path = dcs[dc_code].bundle if dc_code in dcs else None
    first = next((d.code for d in config.datacenters if path is not None and d.bundle == path), dc_code)
    return f"cutover-bundle-{first}"


def dc_html(dc: DataCenter, store: StoreContents | None, bundle: Bundle | None, bundle_ref: str = "",
            store_ref: str = STORE_ANCHOR) -> str:
    """What a data centre gate compared: the entries that matter here, and links to the whole store and bundle
    (shown once, at the top of the report)."""
    out = ""
    if bundle is not None:
        out += (f"<p>bundle: <a href='#{e(bundle_ref)}'>{_text(str(bundle.path))}</a> (root {_text(bundle.root.name)}"
                f", {len(bundle.intermediates)} intermediate(s), {len(bundle.servers)} server certificate(s))</p>")
    if dc.root_alias or dc.intermediate_alias:
        out += f"<p>expected aliases: root {_text(repr(dc.root_alias))}, intermediate " \
               f"{_text(repr(dc.intermediate_alias))}</p>"
    if store is not None:
        wanted = {a.lower() for a in (dc.root_alias, dc.intermediate_alias) if a}
        ours = {c.sha256 for c in ((bundle.root, *bundle.intermediates, *bundle.servers) if bundle else ())}
        hosts = dc.hostnames
        relevant = [x for x in store.entries if x.alias.lower() in wanted or (x.cert is not None and (
            x.cert.sha256 in ours or (not x.cert.is_ca and any(x.cert.covers(h) for h in hosts))))]
        out += (f"<p>truststore: <a href='#{e(store_ref or STORE_ANCHOR)}'>{_text(_named(store))}</a>, "
                f"{len(store.entries)} entries, read by {_text(store.read_by)}; the entries that concern {e(dc.code)}:"
                "</p>")
        out += _entries_table(store, relevant) if relevant else "<p>(none)</p>"
    return out


def _named(store: StoreContents) -> str:
    """The store's file and type; each file with its own for a union of files trusted together."""
    return store.described if store.union else f"{store.path} ({store.store_type})"


def _entries_table(store: StoreContents, entries: Iterable[StoreEntry]) -> str:
    """Entries of the store; for a union, which file holds each (what a keytool step on it names)."""
    header = ["alias", "kind", "subject", "CA", "not after", "SHA-256"]
    if not store.union:
        return _table(header, map(_entry_row, entries))
    return _table([*header, "file"], ([*_entry_row(x), _text(str(store.file_of(x)))] for x in entries))


def store_html(store: StoreContents | None, store_error: str | None = None, anchor: str = STORE_ANCHOR,
               whose: str = "", why: str = "") -> str:
    """The whole store, once per report, folded: 148 entries are evidence, not something to scroll past.
    `why`: why this file is the client's store (JSSE's choice, an option), said beside its name."""
    if store is None:
        return (f"<p id='{e(anchor)}'>truststore{_text(whose)}: could not be read by the judge: "
                f"{_text(store_error or '?')}</p>")
    return (f"<details id='{e(anchor)}' class='cutover-fold'><summary>truststore{_text(whose)} "
            f"{_text(_named(store))}, {len(store.entries)} entries, read by "
            f"{_text(store.read_by)}{'; ' + _text(why) if why else ''}</summary>"
            + _entries_table(store, store.entries) + "</details>")


def stores_html(ev: Evidence, only: Iterable[str] | None = None) -> str:
    """Each distinct store of the run's clients once (`only`: those clients), naming its clients when several."""
    anchors = store_anchors(ev)
    wanted = set(only) if only is not None else set(ev.clients)
    out = ""
    for anchor in dict.fromkeys(anchors[n] for n in ev.clients if n in wanted):
        names = [n for n in ev.clients if anchors[n] == anchor]
        c = ev.clients[names[0]]
        whose = f" of client {', '.join(names)}" if len(ev.clients) > 1 else ""
        out += store_html(c.store, c.store_error, anchor, whose, c.store_why)
    return out


def bundles_html(config: Config, bundles: dict[str, Bundle], only: Iterable[str] | None = None) -> str:
    """Each bundle once (data centres sharing a file share its table), folded; rows link here."""
    wanted = set(only) if only is not None else None
    out, seen = "", set()
    for dc in config.datacenters:
        bundle = bundles.get(dc.code)
        if bundle is None or (wanted is not None and dc.code not in wanted):
            continue
        anchor = bundle_anchor(config, dc.code)
        if anchor in seen:
            continue
        seen.add(anchor)
        users = [d.code for d in config.datacenters if d.bundle == dc.bundle and (wanted is None or d.code in wanted)]
        parts = [("root", bundle.root), *(("intermediate", c) for c in bundle.intermediates),
                 *(("server", c) for c in bundle.servers)]
        out += (f"<details id='{e(anchor)}' class='cutover-fold'><summary>bundle of {e(', '.join(users))}: "
                f"{_text(str(bundle.path))}</summary>" + _table(
                    ["role", "subject", "not after", "SHA-256", "file"],
                    ([role, _text(c.subject), f"{c.not_after:%Y-%m-%d}", e(c.sha256),
                      _text(bundle.files.get(c.sha256, ""))] for role, c in parts)) + "</details>")
    return out


def fix_plan_html(steps: Sequence[Step]) -> str:
    """The fix plan on top of the report; nothing at all when nothing failed.

    The password is set once, in its own block (typed, it stays out of the shell's history); the store's steps
    are then one block, an ``echo`` of each step's words before its command, so that what a person selects
    and copies runs whole, as one paste, with no prompt. What is not a command follows as a list.
    """
    if not steps:
        return ""
    variables = password_vars(steps)
    note = keytool_note(steps)
    lines = script(steps)
    top = ""
    if variables:
        top = (f"<p>{_text(note[0], 2000)} bash or zsh:</p><pre class='cutover-setup'>"
               + "\n".join(_text(read_line(v), 400) for v in variables) + "</pre><p>PowerShell: "
               + "; ".join(f"<code>{_text(powershell_line(v), 400)}</code>" for v in variables)
               + ". cmd: " + _text("; ".join(cmd_warning(v) for v in variables), 1000)
               + ".</p><p>Then paste this block into that shell, all at once, from the folder this run was made in; "
               f"it changes {_text(changed(steps), 2000)}:</p>")
    elif note:
        top = f"<p>{_text(note[0], 2000)}</p>"
    if lines:
        top += "<pre class='cutover-script'>" + "\n".join(_text(line, 4000) for line in lines) + "</pre>"
    items = []
    first = sum(1 for s in steps if command(s.action)) + 1  # the store's steps come first (fixplan.plan)
    for s in steps[first - 1:]:
        a = s.action
        fixes = f"<span class='cutover-fixes'>(fixes {_text(fixes_text(s), 1000)})</span>"
        who = (f"ask the provider on SR {e(s.sr)}" if s.sr else "ask the provider (no SR set for these pods)") \
            if s.owner == "provider" else ("look into" if a.kind == "investigate" else "on your side")
        items.append(f"<li class='cutover-step cutover-{e(s.owner)}'>{who}: {_text(a.text, 1000)} {fixes}</li>")
    rest = f"<ol start='{first}'>{''.join(items)}</ol>" if items else ""
    return (f"<div id='fix-plan'><h2>Fix plan: {len(steps)} step(s), in order</h2>"
            f"<p>Each action once. Then run the gates again.</p>{top}{rest}</div>")


def sr_links_html(links: Sequence[tuple[str, str]]) -> str:
    """Links from the full report to the per-SR reports: (SR, file name next to it)."""
    if not links:
        return ""
    return ("<p id='cutover-sr-reports'>Per service request: "
            + ", ".join(f"<a href='{quote(name)}'>SR {e(sr)}</a>" for sr, name in links) + "</p>")


def _entry_row(x: StoreEntry) -> list[str]:
    c = x.cert
    if c is None:
        return [_text(x.alias), e(x.kind), "-", "-", "-", "-"]
    return [_text(x.alias), e(x.kind), _text(c.subject), "CA" if c.is_ca else "end-entity",
            f"{c.not_after:%Y-%m-%d}", e(c.sha256)]


def verdict_html(ok: bool, message: str, warnings: Sequence[str], remedy: Sequence[str]) -> str:
    out = f"<p><b>{'PASS' if ok else 'FAIL'}</b>: {_text(message, 4000)}</p>"
    out += "".join(f"<p>warning: {_text(w, 2000)}</p>" for w in warnings)
    if remedy:
        # One command per line of the block (a real newline, not an escaped one), nothing else in it: copied
        # whole and pasted into a shell, each line is one keytool command.
        out += ("<p>fix: one keytool command per line; the store password is never part of a command (each "
                "reads the variable after its -storepass:env, set as the fix plan on top says, or asks):</p>"
                "<pre class='cutover-fix'>"
                + "\n".join(_text(c, 4000) for c in remedy) + "</pre>")
    return out
