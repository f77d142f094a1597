"""What the evidence report shows: per-row evidence, the matrix on top, and the JSON evidence file.

The HTML report is attached to the provider's service request and read by people who have never
seen our code, so every fragment says what was observed in words, and every string that came from
the network or a file is escaped: a certificate's CN is written by whoever made the certificate.
The JSON document is for machines; its shape is documented in the README and versioned by `SCHEMA`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import platform
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import get_args
from urllib.parse import quote

from cutover.config import Config, DataCenter
from cutover.config.proxy import Proxy
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, TrustVerdicts
from cutover.gates.fixplan import Action, Step, plan_json
from cutover.gates.lifecycle import CUT_OVER, ROLLING, Phase
from cutover.gates.registry import BY_NAME, CLIENT_GATES, POD_GATES, View
from cutover.gates.registry import NAMES as GATES
from cutover.judge.java import JavaVerdict
from cutover.net.tls import ChainFetch
from cutover.stores.bundle import Bundle
from cutover.stores.certs import CertInfo
from cutover.stores.truststore import StoreContents, StoreEntry
from cutover.text import printable

#: /2: the store, each bundle and each pod's evidence are held once (``truststores``, ``bundles``, ``pods``) and
#: records refer to them; ``fix_plan`` and ``sr`` were added. /1 carried them in every record.
SCHEMA = "cutover-evidence/2"


e = html.escape


@dataclass
class Record:
    """One gate test's outcome, for the matrix and the JSON evidence.

    Attributes:
        nodeid: pytest's id, also the id of the report's row.
        gate: the gate's name.
        target: ``dc/pod`` for pod gates, ``dc`` for data centre gates.
        client: the client a client gate judged for; None for the network gates (the same for all).
        outcome: ``passed``, ``failed`` or ``skipped`` (an error in setup counts as failed).
        message: the verdict's message, or the skip/failure reason.
        remedy: commands that fix the failure.
        warnings: what to look at that did not fail the gate.
        start, stop: UTC times of the test's call.
        actions: the remedies the gate derived, merged across the run by the fix plan.
        sr: the service request of the pod (pod gates) or None; data centre gates go to their pods' SRs.
    """

    nodeid: str
    gate: str
    target: str
    outcome: str = "passed"
    message: str = ""
    remedy: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    start: float | None = None
    stop: float | None = None
    client: str | None = None
    actions: list[Action] = field(default_factory=list)
    sr: str | None = None

    @property
    def label(self) -> str:
        """The test's own id (``us2/abcd``, ``us2``, or ``client:us2/abcd`` with several clients)."""
        return self.nodeid.rpartition("[")[2].rstrip("]") if self.nodeid.endswith("]") else self.target

    @property
    def dc(self) -> str:
        return self.target.split("/")[0]

    @property
    def pod(self) -> str | None:
        return self.target.split("/")[1] if "/" in self.target else None


def verdict_sentence(records: Iterable[Record]) -> tuple[str, bool]:
    """The run's verdict in one sentence, and whether it is 'ready'. Ready only when every gate passed."""
    rs = list(records)
    failed = sum(r.outcome == "failed" for r in rs)
    skipped = sum(r.outcome == "skipped" for r in rs)
    if not rs:
        return "not proven: no gate test ran", False
    if failed:
        clients = {r.client for r in rs if r.client is not None}
        blamed = list(dict.fromkeys(r.client for r in rs if r.outcome == "failed" and r.client is not None))
        named = f"; clients not ready: {', '.join(blamed)}" if len(clients) > 1 and blamed else ""
        network = sum(r.outcome == "failed" and r.client is None for r in rs)
        if named and network:
            named += f" (and {network} network gate test(s) failed, which every client depends on)"
        return f"NOT ready for cutover: {failed} of {len(rs)} gate test(s) failed{named}", False
    if skipped:
        return f"not proven: no gate failed, but {skipped} gate test(s) were skipped (see their reasons)", False
    return f"ready for cutover: all {len(rs)} gate tests passed", True


# -- HTML fragments --------------------------------------------------------------------------------------

def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='cutover-table'><tr>{head}</tr>{body}</table>"


def _text(s: str, limit: int = 500) -> str:
    return e(printable(s, limit))


def chain_table(chain: Sequence[CertInfo]) -> str:
    return _table(
        ["subject", "issuer", "serial", "SHA-256", "not before", "not after", "SANs"],
        ([_text(c.subject), _text(c.issuer), e(c.serial), e(c.sha256), f"{c.not_before:%Y-%m-%d %H:%M}Z",
          f"{c.not_after:%Y-%m-%d %H:%M}Z", _text(", ".join(c.sans) or "-")] for c in chain),
    )


def _verdict_text(v: JavaVerdict) -> str:
    judge = "JVM" if v.engine == "jvm" else "cryptography (approximate)"
    when = "" if v.when == "now" else f" at {v.when}"
    via = f" (through proxy {v.via})" if v.via else (" (direct)" if v.engine == "jvm" else "")
    return _text(f"{judge}{when}{via}: {'trusted' if v.ok else 'rejected'}: {v.reason}", 2000)


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
    trust = client.verdicts.get(pod.target.id, TrustVerdicts(())) if client is not None else TrustVerdicts(())
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
        where = str(c.store.path) if c.store is not None else f"unreadable:{name}"
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
        out += (f"<p>truststore: <a href='#{e(store_ref or STORE_ANCHOR)}'>{_text(str(store.path))}</a> "
                f"({e(store.store_type)}, "
                f"{len(store.entries)} entries, read by {_text(store.read_by)}); the entries that concern {e(dc.code)}:"
                "</p>")
        out += _table(["alias", "kind", "subject", "CA", "not after", "SHA-256"], map(_entry_row, relevant)) \
            if relevant else "<p>(none)</p>"
    return out


def store_html(store: StoreContents | None, store_error: str | None = None, anchor: str = STORE_ANCHOR,
               whose: str = "") -> str:
    """The whole store, once per report, folded: 148 entries are evidence, not something to scroll past."""
    if store is None:
        return (f"<p id='{e(anchor)}'>truststore{_text(whose)}: could not be read by the judge: "
                f"{_text(store_error or '?')}</p>")
    return (f"<details id='{e(anchor)}' class='cutover-fold'><summary>truststore{_text(whose)} "
            f"{_text(str(store.path))} ({e(store.store_type)}), {len(store.entries)} entries, read by "
            f"{_text(store.read_by)}</summary>"
            + _table(["alias", "kind", "subject", "CA", "not after", "SHA-256"], map(_entry_row, store.entries))
            + "</details>")


def stores_html(ev: Evidence, only: Iterable[str] | None = None) -> str:
    """Each distinct store of the run's clients once (`only`: those clients), naming its clients when several."""
    anchors = store_anchors(ev)
    wanted = set(only) if only is not None else set(ev.clients)
    out = ""
    for anchor in dict.fromkeys(anchors[n] for n in ev.clients if n in wanted):
        names = [n for n in ev.clients if anchors[n] == anchor]
        c = ev.clients[names[0]]
        whose = f" of client {', '.join(names)}" if len(ev.clients) > 1 else ""
        out += store_html(c.store, c.store_error, anchor, whose)
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
    """The fix plan on top of the report; nothing at all when nothing failed."""
    if not steps:
        return ""
    items = []
    for s in steps:
        a = s.action
        if a.command:
            what = f"run once: <pre class='cutover-cmd'>{_text(a.command, 4000)}</pre>"
        else:
            who = (f"ask the provider on SR {e(s.sr)}" if s.sr else "ask the provider (no SR set for these pods)") \
                if s.owner == "provider" else ("look into" if a.kind == "investigate" else "on your side")
            what = f"{who}: {_text(a.text, 1000)} "
        items.append(f"<li class='cutover-step cutover-{e(s.owner)}'>{what}<span class='cutover-fixes'>(fixes "
                     f"{_text(s.fixes_text, 1000)})</span></li>")
    return (f"<div id='fix-plan'><h2>Fix plan: {len(steps)} step(s), in order</h2>"
            "<p>Each action once; keytool asks for the store password. Then run the gates again.</p>"
            f"<ol>{''.join(items)}</ol></div>")


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
        out += "<p>fix (keytool asks for the store password):</p><pre>" + _text("\n".join(remedy), 4000) + "</pre>"
    return out


_COLORS = {"passed": "#1b7f3b", "failed": "#b00020", "skipped": "#a36a00"}
_WORDS = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}


def _cell(record: Record | None, rowspan: int = 1) -> str:
    span = f" rowspan='{rowspan}'" if rowspan > 1 else ""
    if record is None:
        return f"<td{span} class='cutover-none'>-</td>"
    color = _COLORS.get(record.outcome, "#555")
    return (f"<td{span} class='cutover-cell cutover-{record.outcome}' style='background:{color}'>"
            f"<a style='color:#fff;display:block' href='#{quote(record.nodeid, safe='')}' "
            f"title='{_text(record.message, 300)}'>{_WORDS.get(record.outcome, record.outcome)}</a></td>")


def verdict_line(verdict: str, ready: bool) -> str:
    color = _COLORS["passed"] if ready else _COLORS["failed"]
    return f"<p id='cutover-verdict' style='font-size:1.3em;font-weight:bold;color:{color}'>Verdict: {e(verdict)}</p>"


def env_table(env: dict[str, str]) -> str:
    return "<table id='environment' class='cutover-table'>" + "".join(
        f"<tr><td>{e(k)}</td><td>{_text(v, 2000)}</td></tr>" for k, v in env.items()) + "</table>"


def matrix_html(config: Config, records: Iterable[Record], only: set[str] | None = None,
                phases: Mapping[str, Phase] | None = None) -> str:
    """Data centres and pods down, each pod's phase, then the gates across; each cell links to its row.

    With several clients the network gates come first, then one column group per client (its three
    gates): 3 clients x 56 pods stay one table a person can scan along a pod's row. `only`: the pod ids
    (``dc/pod``) and data centre codes to show (a per-SR report); None shows all.
    """
    rs = list(records)
    phases = phases or {}
    by = {(r.gate, r.client if r.gate in CLIENT_GATES else None, r.target): r for r in rs}
    several = config.several_clients
    with_sr = bool(config.srs)
    sr_head = "<th rowspan='2'>SR</th>" if several else "<th>SR</th>"
    if several:
        columns = [(g, None) for g in GATES if g not in CLIENT_GATES] + \
                  [(g, c.name) for c in config.clients for g in CLIENT_GATES]
        top = "<tr><th rowspan='2'>data centre</th><th rowspan='2'>pod</th>" \
              f"{sr_head if with_sr else ''}<th rowspan='2'>phase</th>" \
              f"<th colspan='{len(GATES) - len(CLIENT_GATES)}'>network</th>" + \
              "".join(f"<th colspan='{len(CLIENT_GATES)}'>client {e(c.name)}</th>" for c in config.clients) + "</tr>"
        head = top + "<tr>" + "".join(f"<th>{g}</th>" for g, _ in columns) + "</tr>"
    else:
        first = config.clients[0].name if config.clients else None
        columns = [(g, first if g in CLIENT_GATES else None) for g in GATES]
        head = (f"<tr><th>data centre</th><th>pod</th>{sr_head if with_sr else ''}<th>phase</th>"
                f"{''.join(f'<th>{g}</th>' for g in GATES)}</tr>")
    if not several:  # records of a one-client run may carry the client's name or none
        by |= {(r.gate, columns[GATES.index(r.gate)][1], r.target): r for r in rs if r.gate in GATES}
    rows = []
    today = dt.datetime.now(dt.UTC).date()
    for dc in config.datacenters:
        targets = [t for t in dc.targets if only is None or t.id in only]
        if only is not None and not targets and dc.code not in only:
            continue
        pods = [t.pod for t in targets] or [None]
        srs = {t.pod: t.sr for t in targets}
        renewal = ""
        if dc.renewal_date is not None:
            left = (dc.renewal_date - today).days
            renewal = f"<br><small>renewal {dc.renewal_date:%Y-%m-%d}: {left} day(s) left</small>" if left >= 0 \
                else f"<br><small>renewed {dc.renewal_date:%Y-%m-%d}</small>"
        name = f" <span class='cutover-dcname'>{_text(dc.name, 100)}</span>" if dc.name != dc.code else ""
        for i, pod in enumerate(pods):
            cells = (f"<th>{e(dc.code)}{name if i == 0 else ''}{renewal if i == 0 else ''}</th>"
                     f"<th>{e(pod) if pod else '(no pods)'}</th>")
            if with_sr:
                cells += f"<td>{e(srs.get(pod) or '-') if pod else e(dc.sr or '-')}</td>"
            phase = phases.get(f"{dc.code}/{pod}") if pod else None
            cells += (f"<td class='cutover-phase' title='{_text(phase.why, 300)}'>{e(phase.name)}"
                      f"{'<br><small>' + e(phase.since_short) + '</small>' if phase.since else ''}</td>"
                      if phase is not None else "<td class='cutover-phase'>-</td>")
            for gate, client in columns:
                if gate in POD_GATES:
                    cells += _cell(by.get((gate, client, f"{dc.code}/{pod}")) if pod else None)
                elif i == 0:
                    cells += _cell(by.get((gate, client, dc.code)), rowspan=len(pods))
            rows.append(f"<tr>{cells}</tr>")
    return f"<table id='cutover-matrix' class='cutover-table'>{head}" + "".join(rows) + "</table>"


def since_html(heading: str, lines: Sequence[str], ignored: Sequence[str] = ()) -> str:
    """The "since the last run" section: what changed between the previous run and this one."""
    items = "".join(f"<li>{_text(line, 1000)}</li>" for line in lines)
    out = f"<div id='cutover-since'><p><b>{_text(heading, 1000)}</b></p>" + (f"<ul>{items}</ul>" if items else "")
    if ignored:
        out += "<p>history files ignored:</p><ul>" + "".join(f"<li>{_text(x, 1000)}</li>" for x in ignored) + "</ul>"
    return out + "</div>"


# Long commands, paths and certificate names wrap: at 1280 px nothing scrolls sideways (tests/test_report.py).
STYLE = """<style>
.cutover-table { border-collapse: collapse; margin: 4px 0 10px 0; max-width: 100%; }
.cutover-table th, .cutover-table td { border: 1px solid #ccc; padding: 2px 6px; text-align: left;
  font-size: 12px; vertical-align: top; overflow-wrap: anywhere; word-break: break-word; }
#cutover-matrix td { text-align: center; min-width: 90px; }
.cutover-dcname { font-weight: normal; white-space: nowrap; }
.cutover pre, #fix-plan pre, .cutover-cmd, .logwrapper .log { white-space: pre-wrap; overflow-wrap: anywhere;
  word-break: break-all; }
.cutover p, #fix-plan li, #environment td, #results-table td { overflow-wrap: anywhere; }
#fix-plan { border: 2px solid #b00020; padding: 4px 12px; margin: 8px 0; }
#fix-plan pre { background: #f4f4f4; padding: 4px; margin: 2px 0; }
.cutover-fixes { color: #444; }
.cutover-fold summary { cursor: pointer; margin: 4px 0; }
</style>"""


# -- environment and JSON evidence -----------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest().upper()
    except OSError:
        return "unreadable"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("cutover", "pytest", "pytest-html", "cryptography", "dnspython", "pyjks"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment(config: Config, stores: dict[str, StoreContents] | StoreContents, sr: str | None,
                started: dt.datetime) -> dict[str, str]:
    """The report's Environment rows: what a support engineer needs to trust (or question) the run."""
    if isinstance(stores, StoreContents):
        stores = {config.clients[0].name: stores}
    env = {
        "Service request": sr or ", ".join(config.srs) or "not given (--sr, or sr in datacenters.toml)",
        "Started (UTC)": f"{started:%Y-%m-%d %H:%M:%S}Z",
        "Machine": socket.gethostname(),
        "Datacenters file": f"{config.path} (SHA-256 {sha256_of(config.path)})",
    }
    for name, store in stores.items():
        key = f"Truststore of client {name}" if config.several_clients else "Truststore"
        env[key] = f"{store.path} ({store.store_type}, SHA-256 {sha256_of(store.path)})"
    env |= {
        "Nameservers": ", ".join(f"{h}:{p}" for h, p in config.nameservers) or "system resolver",
        **proxy_rows(config),
        "Versions": ", ".join(f"{k} {v}" for k, v in versions().items()),
    }
    if config.simulated:
        env["SIMULATED"] = (f"sandbox scenario '{config.sandbox_scenario}': {config.sandbox_description}. "
                            "Nothing here is evidence about the real provider.")
    return env


NO_PROXY = "none: direct connections"


def proxy_line(proxy: Proxy | None) -> str:
    """How the report names a proxy: URL (never a password), where it was given, what it skips."""
    if proxy is None:
        return NO_PROXY
    skip = f"; not for {', '.join(proxy.no_proxy)}" if proxy.no_proxy else ""
    secret = ""
    if proxy.user:
        secret = f"; password from ${proxy.password_in_url_env or proxy.password_env}"
    return f"{proxy.label}{secret}{skip}"


def proxy_rows(config: Config) -> dict[str, str]:
    """The run's proxy, and each client's JVM proxy where its own -Dhttps.proxyHost makes it differ."""
    rows = {"Proxy": proxy_line(config.proxy)}
    for client in config.clients:
        own = config.jvm_proxy(client)
        if own != config.proxy:
            rows[f"JVM's proxy for client {client.name}" if config.several_clients else "JVM's proxy"] = \
                proxy_line(own)
    return rows


def judges_environment(config: Config, ev: Evidence) -> dict[str, str]:
    """Which JDK judged each client, and with which options: the same chain may pass under one JDK and
    fail under another."""
    env: dict[str, str] = {}
    for name, c in ev.clients.items():
        suffix = f" for client {name}" if config.several_clients else ""
        env[f"JDK that judged{suffix}"] = f"{c.jvm.label}; java {c.jvm.java}" if c.jvm else f"none: {c.engine_note}"
        if c.client.java_options:
            env[f"JVM options{suffix}"] = " ".join(c.client.java_options)
    return env


def _verdict_json(v: JavaVerdict) -> dict[str, object]:
    return {"ip": v.ip, "ok": v.ok, "reason": v.reason, "step": v.step, "engine": v.engine, "when": v.when,
            "protocol": v.protocol, "via": v.via}


def pod_json(pod: PodEvidence, phase: Phase | None = None) -> dict[str, object]:
    """A pod's network evidence and its phase, the same for every client (their verdicts: `trust_json`)."""
    st = pod.staging
    return {
        "hostname": pod.target.hostname, "port": pod.target.port,
        "phase": phase.name if phase is not None else None,
        "cname_chain": list(st.cname_chain), "edge_hostname": st.edge_hostname, "staging_name": st.staging_name,
        "staging_chain": list(st.staging_chain), "staging_ips": list(st.staging_ips),
        "production_ips": list(st.production_ips), "dns_problem": st.problem,
        "hosts_lines": [f"{ip} {pod.target.hostname}" for ip in st.staging_ips],
        "presented_chains": [
            {"network": kind, "ip": f.ip, "sni": f.sni, "protocol": f.protocol, "error": f.error, "via": f.via,
             "chain": [c.to_json() for c in f.chain]}
            for kind, fetches in (("staging", pod.staging_chains), ("production", pod.production_chains))
            for f in fetches],
    }


def trust_json(trust: TrustVerdicts) -> dict[str, object]:
    """One client's verdicts on one pod: at staging (now and later dates), strict advice, and at production."""
    return {
        "verdicts": [_verdict_json(v) for v in trust.verdicts],
        "later_verdicts": [{"label": label, **_verdict_json(v)} for label, v in trust.later],
        "strict_verdicts": [_verdict_json(v) for v in trust.strict],
        "production_verdicts": [_verdict_json(v) for v in trust.production],
    }


def store_json(store: StoreContents | None, store_error: str | None = None) -> dict[str, object]:
    return {"path": None if store is None else str(store.path), "type": None if store is None else store.store_type,
            "sha256": None if store is None else sha256_of(store.path),
            "read_by": None if store is None else store.read_by, "error": store_error,
            "entries": [] if store is None else [
                {"alias": x.alias, "kind": x.kind, "certificate": x.cert.to_json() if x.cert else None}
                for x in store.entries]}


def bundle_json(bundle: Bundle) -> dict[str, object]:
    return {"path": str(bundle.path), "root": bundle.root.to_json(),
            "intermediates": [c.to_json() for c in bundle.intermediates],
            "servers": [c.to_json() for c in bundle.servers]}


def evidence_document(config: Config, ev: Evidence | None, records: Sequence[Record], env: dict[str, str],
                      started: dt.datetime, finished: dt.datetime, interrupted: bool = False,
                      fix_plan: Sequence[Step] = (), sr: str | None = None,
                      lifecycle: Mapping[str, object] | None = None,
                      since: Mapping[str, object] | None = None,
                      phases: Mapping[str, Phase] | None = None) -> dict[str, object]:
    """The JSON evidence: one record per target and gate; the store, each bundle and each pod's evidence once.

    `records` may be a part of the run (a per-SR file, `sr` set): then only the pods and bundles they
    refer to are written, and only those pods' lifecycle entries.
    `lifecycle` (cutover.history.lifecycle_json) is each pod's phase and what the next run compares with;
    `since` is what changed since the last run. Both are made by cutover.history, which reads them back.
    """
    verdict, ready = verdict_sentence(records)
    dcs = {d.code: d for d in config.datacenters}
    targets = {t.id: t for t in config.targets}
    first_client = config.clients[0].name if config.clients else None
    out_records = []
    pods: dict[str, object] = {}
    bundles: dict[str, object] = {}
    for r in records:
        ref: dict[str, object] = {}
        if r.pod is not None:
            ref = {"pod": r.target} | ({"client": r.client} if r.client is not None else {})
            if ev is not None and r.target in ev.pods and r.target not in pods:
                t = targets.get(r.target)
                phase = (phases or {}).get(r.target)
                pods[r.target] = {"sr": t.sr if t else None, **pod_json(ev.pods[r.target], phase),
                                  "trust": {name: trust_json(c.verdicts[r.target]) for name, c in ev.clients.items()
                                            if r.target in c.verdicts}}
        else:
            bundle = ev.bundles.get(r.dc) if ev is not None else None
            ref = {"bundle": r.dc if bundle is not None else None, "truststore": r.client or first_client}
            if bundle is not None:
                bundles.setdefault(r.dc, bundle_json(bundle))
        out_records.append({
            "gate": r.gate, "client": r.client, "target": r.target, "dc": r.dc, "pod": r.pod, "sr": r.sr,
            "outcome": r.outcome,
            "message": r.message, "remedy": r.remedy, "warnings": r.warnings,
            "start": _iso(r.start), "stop": _iso(r.stop),
            "duration_s": round(r.stop - r.start, 3) if r.start and r.stop else None,
            "test": r.nodeid, "evidence": ref,
        })
    dc_codes = dict.fromkeys(r.dc for r in records)
    return {
        "schema": SCHEMA,
        "simulated": config.simulated,
        "sandbox_scenario": config.sandbox_scenario,
        "service_request": sr,
        "verdict": verdict,
        "ready": ready,
        "interrupted": interrupted,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "judge": None if ev is None else _judge_json(ev.first),
        "clients": None if ev is None else {
            name: {"truststore": None if c.store is None else str(c.store.path),
                   "truststore_sha256": None if c.store is None else sha256_of(c.store.path),
                   "datacenters": list(c.client.datacenters), "java_options": list(c.client.java_options),
                   "store_error": c.store_error, "judge": _judge_json(c)}
            for name, c in ev.clients.items()},
        "environment": env,
        "fix_plan": plan_json(fix_plan),
        "datacenters": {c: {"name": dcs[c].name, "sr": dcs[c].sr, "srs": list(dcs[c].srs)}
                        for c in dc_codes if c in dcs},
        "truststores": {} if ev is None else _stores_json(ev),
        "bundles": bundles,
        "pods": pods,
        "datacenters_file": str(config.path.resolve()),
        # A per-SR file holds only its own pods' lifecycle entries (nothing of another SR's pods).
        "lifecycle": {tid: v for tid, v in (lifecycle or {}).items() if sr is None or tid in pods},
        "since_last_run": None if since is None else dict(since),
        "records": out_records,
    }


def _stores_json(ev: Evidence) -> dict[str, object]:
    """Each client's store as its judge read it; a store several clients share is written once and the
    others say whose it is (``{"same_as": "soa"}``)."""
    out: dict[str, object] = {}
    seen: dict[str, str] = {}
    for name, c in ev.clients.items():
        where = str(c.store.path) if c.store is not None else f"unreadable:{name}"
        if where in seen:
            out[name] = {"same_as": seen[where]}
        else:
            seen[where] = name
            out[name] = store_json(c.store, c.store_error)
    return out


def _judge_json(c: ClientEvidence) -> dict[str, object]:
    return {
        "engine": "jvm" if c.jvm else "python",
        "jvm": None if c.jvm is None else {"java": str(c.jvm.java), "home": c.jvm.home,
                                           "version": c.jvm.version, "vendor": c.jvm.vendor},
        "note": c.engine_note,
    }


def _iso(ts: float | None) -> str | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat() if ts else None


def store_diff_html(diff: dict[str, object]) -> str:
    """The summary's table of what `python -m cutover prepare` changed in the copy of the store."""
    rows = "".join(
        f"<tr><td>{e(str(c.get('change')))}</td><td>{e(str(c.get('alias')))}</td>"
        f"<td>{e(str(c.get('sha256_before') or '-'))}</td>"
        f"<td>{e(str(c.get('sha256_after') or '-'))}</td></tr>"
        for c in diff.get("changes", []) if isinstance(c, dict)  # type: ignore[union-attr]
    ) or "<tr><td colspan='4'>no entry changed</td></tr>"
    return (f"<div id='store-diff'><h2>Prepared store</h2><p>Judged: the copy {e(str(diff.get('copy')))} of "
            f"{e(str(diff.get('original')))} (original SHA-256 {e(str(diff.get('sha256_original')))}, only read). "
            "Entries changed in the copy:</p><table class='cutover-table'><tr><th>change</th><th>alias</th>"
            f"<th>SHA-256 before</th><th>SHA-256 after</th></tr>{rows}</table></div>")
