"""The gates' decisions on gathered evidence (their table: `cutover.gates.registry`): each returns a Verdict.

Kept apart from pytest so the decision and its message can be read, and tested, in one place. A
message says what is wrong, why it matters at cutover, and how to fix it (the exact keytool command).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from cutover.config import Config, DataCenter
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, TrustVerdicts
from cutover.gates import lifecycle
from cutover.gates.fixplan import PROVIDER, TRUST_PATH, Action
from cutover.gates.lifecycle import Phase
from cutover.judge.java import JavaVerdict
from cutover.net.tls import ChainFetch
from cutover.stores.bundle import Bundle
from cutover.stores.certs import CertInfo
from cutover.stores.truststore import StoreContents


@dataclass(frozen=True)
class Verdict:
    """A gate's decision.

    Attributes:
        ok: the gate passes.
        message: one paragraph: what was observed, or what is wrong and how to fix it.
        warnings: things a person should look at that do not fail the gate.
        remedy: shell commands that fix the failure, in order (the keytool commands of `actions`).
        actions: what fixes the failure, as data the fix plan merges across the run (cutover.fixplan).
    """

    ok: bool
    message: str
    warnings: tuple[str, ...] = ()
    remedy: tuple[str, ...] = field(default=())
    actions: tuple[Action, ...] = ()


def _failed(message: str, *actions: Action, warnings: tuple[str, ...] = ()) -> Verdict:
    """A failing verdict with its remedies; the keytool ones also go into the message's "To fix it"."""
    remedy = tuple(a.command for a in actions if a.command)
    return Verdict(False, message, warnings, remedy, tuple(actions))


def _on_store(store: StoreContents, kind: str, alias: str, cert: CertInfo | None = None, dest_alias: str | None = None,
              file: str | None = None) -> Action:
    return Action(kind, store=str(store.path), store_type=store.store_type, alias=alias, dest_alias=dest_alias,
                  sha256=cert.sha256 if cert else None, subject=cert.name if cert else None, file=file)


def _import(store: StoreContents, alias: str, bundle: Bundle, cert: CertInfo) -> Action:
    return _on_store(store, "import", alias, cert, file=bundle.files.get(cert.sha256, str(bundle.path)))


# The remedies that are not a store change, worded without a pod's name so that equal ones merge in the plan.
ACTIVATE_STAGING = "put the pod on the Akamai staging network: its staging name does not resolve to an address"
NAME_STAGING = ("tell the staging name of the pod (its hostname does not CNAME to an Akamai edge hostname); then set "
                "staging_hostname for its data centre in datacenters.toml")
FIX_CNAMES = "fix the CNAME chain of the staging name: it is too long for resolvers to follow"
CHECK_RESOLVER = ("check the DNS resolver and the network path to it (VPN, firewall), or ask with another "
                  "--nameserver, then run again")
CHECK_OVERRIDE = ("check the resolver: something (a DNS override, proxy or hosts file) answers the staging name "
                  "with a production IP")
CHECK_HOSTNAME = ("check the pod's name and the hostname template in datacenters.toml: the production "
                  "hostname does not resolve")
OPEN_PATH = ("open the network path from this machine to Akamai staging (firewall, proxy) and run again; if it is "
             "open, ask the provider whether staging serves the pod")
SERVE_STAGED = "activate the renewed certificate on Akamai staging: staging still serves production's certificate"
FINISH_STAGING = ("finish activating the renewed certificate on Akamai staging: some staging addresses still serve "
                  "the old one")
TELL_NEW = ("tell the suite which certificate is the new one: give the data centre's bundle with its server "
            "certificate, or set renewal_date in datacenters.toml")
CONFIRM_CERT = ("confirm which certificate staging serves: it is not the server certificate of the bundle you "
                "sent (or send the current bundle)")
SERVE_NAME = "serve a certificate at staging that names the pod's production hostname"
SERVE_VALID = "serve a chain at staging whose certificates are valid now"
SERVE_LASTING = "serve a chain at staging that stays valid past the renewal date (and min_days_after_renewal after)"
SERVE_ACCEPTED = "serve a chain at staging that Java accepts: the JVM rejects what staging sends (see its reason)"
SERVE_PATH = ("serve a chain at staging that leads to the bundle's root and intermediate, intermediate included: "
              "the JVM finds no path from it to a CA the store holds")
REACH_REVOCATION = ("let the JVM reach the OCSP responder or CRL the certificates name (the client checks "
                    "revocation); if the client does not, drop -Dcom.sun.net.ssl.checkRevocation=true from the run")
FIX_PROXY = ("let the proxy open tunnels to Akamai staging (CONNECT to the staging IPs' port), or check the proxy "
             "given with --proxy or [run] proxy, then run again")
READ_STORE = "make the truststore readable by the JVM (path, password, format): see the message"


def _dns_action(problem: str) -> Action:
    """Whose move a DNS failure is, from the words staging.py chose for it."""
    p = problem.lower()
    if "nxdomain" in p and "production hostname" in p:
        return Action("local", CHECK_HOSTNAME)
    if "nxdomain" in p or "noanswer" in p:
        return Action(PROVIDER, ACTIVATE_STAGING)
    if "no akamai edge hostname" in p:
        return Action(PROVIDER, NAME_STAGING)
    if "cname chain" in p and "longer than" in p:
        return Action(PROVIDER, FIX_CNAMES)
    return Action("network", CHECK_RESOLVER)


def _staging_dns_action(pod: PodEvidence) -> Action:
    """The action staging_resolves gives the pod: a gate that could not see the new chain for that reason
    is fixed by the same step, so the plan names it once."""
    st = pod.staging
    if st.problem:
        return _dns_action(st.problem)
    if set(st.staging_ips) & set(st.production_ips):
        return Action("local", CHECK_OVERRIDE)
    return _dns_action("noanswer")


def _connection_action(reason: str) -> Action:
    """Whose move a failed handshake or JVM rejection is, from the reason Java (or the fetch) gave."""
    r = reason.lower()
    if "unable to find valid certification path" in r or "path building failed" in r:
        return Action(TRUST_PATH, SERVE_PATH)
    if "no subject alternative" in r or "no name matching" in r:
        return Action(PROVIDER, SERVE_NAME)
    if any(w in r for w in ("certificateexpired", "notafter", "certificatenotyetvalid", "notbefore")):
        return Action(PROVIDER, SERVE_VALID)
    if "revocation status" in r:
        return Action("local", REACH_REVOCATION)
    if "proxy" in r:
        return Action("network", FIX_PROXY)
    if any(w in r for w in ("timed out", "refused", "no route", "unreachable", "reset")):
        return Action("network", OPEN_PATH)
    return Action(PROVIDER, SERVE_ACCEPTED)


def _private(ips: Iterable[str]) -> list[str]:
    import ipaddress

    return [ip for ip in ips if ipaddress.ip_address(ip).is_private or ipaddress.ip_address(ip).is_loopback]


def staging_resolves(pod: PodEvidence, allow_private_ips: bool = False) -> Verdict:
    st = pod.staging
    if st.problem:
        return _failed(st.problem, _dns_action(st.problem))
    shared = sorted(set(st.staging_ips) & set(st.production_ips))
    if shared:
        return _failed(
            f"staging name {st.staging_name} resolves to {', '.join(shared)}, which is also a production IP of "
            f"{st.hostname}: that is not the staging network, so testing there would judge the old certificate. "
            "Check the resolver (a DNS override or proxy answering for *-staging.net) and the staging name.",
            Action("local", CHECK_OVERRIDE),
        )
    chain = " -> ".join(st.cname_chain)
    warnings = []
    private = _private((*st.staging_ips, *st.production_ips))
    if private and not allow_private_ips:
        warnings.append(
            f"the resolver answered {st.hostname} with private or loopback address(es) {', '.join(private)}: "
            "split-horizon DNS or a local override (hosts file, proxy, VPN) stands between you and Akamai, so the "
            "verdicts are about those addresses. Ask with the public resolver (--nameserver), or set "
            "[run] allow_private_ips = true if this is intended."
        )
    return Verdict(
        True,
        f"{chain}; staging {st.staging_name} -> {', '.join(st.staging_ips)} "
        f"(production: {', '.join(st.production_ips) or 'none'})",
        warnings=tuple(warnings),
    )


def _hint(reason: str, host: str, via: str | None = None) -> str:
    r = reason.lower()
    if "unable to find valid certification path" in r or "path building failed" in r:
        return ("The truststore holds no certificate this chain leads to: import the provider's root and "
                "intermediate CA (see aliases_present), or the server may be omitting its intermediate.")
    if "no subject alternative" in r or "no name matching" in r:
        return f"The certificate served at staging does not name {host}: the provider must serve the right certificate."
    if "certificateexpired" in r or "notafter" in r:
        return "A certificate of the served chain has expired: the provider must serve a renewed chain."
    if "certificatenotyetvalid" in r or "notbefore" in r:
        return "A certificate of the served chain is not valid yet: check the machine's clock and the chain's dates."
    if "revocation status" in r:
        return ("The client checks revocation (com.sun.net.ssl.checkRevocation=true) and the JVM could not learn "
                "this chain's status: it must reach the OCSP responder or CRL the certificates name.")
    if via and ("terminated the handshake" in r or "eof" in r or "reset" in r or "closed" in r):
        return (f"The tunnel through proxy {via} closed during the handshake: the proxy may cut tunnels it inspects "
                "or does not allow, or the staging IP closed it; ask the proxy's administrators, or compare from a "
                "network without the proxy.")
    if ("timed out" in r or "refused" in r) and via:
        return f"The staging IP did not complete a handshake through proxy {via}: check the path from the proxy."
    if "timed out" in r or "refused" in r:
        return ("The staging IP did not complete a handshake: check the firewall; if this network reaches the "
                "internet only through an HTTP proxy, give it with --proxy or [run] proxy (README: Behind a proxy).")
    return ""


def _out_of_validity(pod: PodEvidence, ip: str, when: dt.datetime) -> str:
    """Name the served certificates that are not valid at `when`: Java's message gives a date, not a name."""
    fetch = next((f for f in pod.staging_chains if f.ip == ip), None)
    if fetch is None:
        return ""
    bad = [c for c in fetch.chain if not c.not_before <= when <= c.not_after]
    return "".join(f" Not valid then: {c.name} (valid {c.not_before:%Y-%m-%d} to {c.not_after:%Y-%m-%d})."
                   for c in bad)


def _served(fetches: Iterable[ChainFetch], ip: str) -> str:
    fetch = next((f for f in fetches if f.ip == ip), None)
    if fetch is None or fetch.leaf is None:
        return ""
    return f" Served leaf: {fetch.leaf.short}, issued by {fetch.leaf.issuer_name}; {len(fetch.chain)} cert(s) sent."


def _judge(verdicts: Iterable[JavaVerdict]) -> str:
    return "the JVM" if all(v.engine == "jvm" for v in verdicts) else "cryptography (approximate)"


def chain_trusted(pod: PodEvidence, trust: TrustVerdicts, engine_note: str | None = None,
                  at: dt.datetime | None = None, phase: Phase | None = None) -> Verdict:
    """One client's verdicts (`trust`) on one pod: its JVM trusts the chain at every true staging address (the
    new chain) and at production (what it gets today, which after the cutover is the new chain), judged on the
    network evidence `pod`. Never a pass on a chain that was not seen."""
    t = pod.target
    st = pod.staging
    prefix = f"[{engine_note}] " if engine_note else ""
    judged = f" (judged at {at:%Y-%m-%d %H:%M}Z)" if at else ""
    in_phase = f" (phase: {phase.name})" if phase is not None else ""
    if not st.staging_ips:
        return _failed(
            f"{prefix}not judged: {t.hostname} has no staging IP to connect to, so the new chain was not seen "
            f"(staging_resolves: {st.problem or 'no address'}){in_phase}.",
            _staging_dns_action(pod),
        )
    shared = [ip for ip in st.staging_ips if ip in st.production_ips]
    if len(shared) == len(st.staging_ips):
        return _failed(
            f"{prefix}not judged: the new chain was not seen: staging name {st.staging_name} resolves only to "
            f"{', '.join(shared)}, production IP(s) of {t.hostname}, so what answers there is production's chain, not "
            f"staging's{in_phase}. A pass here would be a verdict on the old chain. Fix the resolution of the staging "
            "name (see staging_resolves) and run again.",
            _staging_dns_action(pod),
        )
    staging = [v for v in trust.verdicts if v.ip not in shared]
    unreached = [v for v in staging if not v.ok and v.step == "proxy"]
    if unreached:
        # The proxy gave no tunnel: the chain was never seen, so this is not a judgement on it.
        judge = "the JVM" if unreached[0].engine == "jvm" else "cryptography (approximate)"
        return _failed(prefix + " ".join(
            f"not judged: {judge} could not reach staging {v.ip} for {t.hostname}: {v.reason}" for v in unreached),
            Action("network", FIX_PROXY))
    # Production is judged where it serves the new chain (a cut-over pod, or the switched addresses of a
    # rolling one): that is the chain this gate is about. Production's old chain failing is said, not failed on.
    new_at = {f.ip for f in pod.production_chains if f.leaf is not None and phase is not None
              and f.leaf.sha256 in phase.new_leaves}
    judged_production = [v for v in trust.production if phase is None or phase.name == lifecycle.CUT_OVER
                         or (phase.name == lifecycle.ROLLING and v.ip in new_at)]
    parts = []
    actions: list[Action] = []
    for kind, verdicts, fetches, today in (("staging", staging, pod.staging_chains, ""),
                                           ("production", judged_production, pod.production_chains,
                                            ", what clients get today")):
        for v in verdicts:
            if not v.ok:
                judge = "the JVM" if v.engine == "jvm" else "cryptography (approximate)"
                if v.step == "proxy":  # no tunnel: production's chain was not seen, not judged on
                    parts.append(f"not judged: {judge} could not reach {kind} {v.ip} for {t.hostname}{in_phase}: "
                                 f"{v.reason}")
                    actions.append(Action("network", FIX_PROXY))
                    continue
                judge += f" (through proxy {v.via})" if v.via else ""
                parts.append(f"{judge} rejects the chain at {kind} {v.ip} for {t.hostname}{judged}{today}{in_phase} "
                             f"({v.step}): {v.reason}.{_served(fetches, v.ip)} "
                             f"{_hint(v.reason, t.hostname, v.via)}".rstrip())
                # Production's chain rejected after the cutover is fixed as staging's would be: the client's
                # store import (a missing CA), or the provider's chain.
                actions.append(_connection_action(v.reason))
    if parts:
        return _failed(prefix + " ".join(parts), *dict.fromkeys(actions))
    judge = _judge((*staging, *judged_production))
    later_failed = [(label, v) for label, v in trust.later if not v.ok and v.ip not in shared]
    if later_failed:
        parts = []
        for label, v in later_failed:
            when = dt.datetime.strptime(v.when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC) \
                if v.when != "now" else dt.datetime.now(dt.UTC)
            parts.append(f"{judge} trusts the chain at staging {v.ip} today{judged}, but not on {label}: "
                         f"{v.reason}.{_out_of_validity(pod, v.ip, when)}")
        # Staging still serving production's leaf is why it will not last: activating the new one fixes both.
        live = {f.leaf.sha256 for f in pod.production_chains if f.leaf is not None}
        not_staged = any(f.leaf is not None and f.leaf.sha256 in live for f in pod.staging_chains
                         if f.ip not in shared)
        return _failed(prefix + " ".join(parts) + " The provider must serve a chain that stays valid "
                       "past the cutover (min_days_after_renewal in datacenters.toml sets the margin).",
                       Action(PROVIDER, SERVE_STAGED if not_staged else SERVE_LASTING))
    warnings: list[str] = [prefix.strip()] if prefix else []
    if shared:
        warnings.append(f"staging name {st.staging_name} also resolves to production IP(s) {', '.join(shared)}; they "
                        "were not counted as staging.")
    for v in trust.production:
        if not v.ok and v not in judged_production:
            warnings.append(f"this JVM rejects production's current (old) chain at {v.ip} ({v.reason}): a client "
                            "with this store cannot connect today. This gate judges the new chain; production counts "
                            "once it serves it.")
    fetched_ok = {f.ip for f in pod.staging_chains if f.error is None}
    for v in trust.strict:
        if not v.ok and v.ip in fetched_ok and v.ip not in shared:
            warnings.append(f"the JVM accepts the chain at {v.ip}; a web-PKI client (browser, curl, Python) would "
                            f"reject it: {v.reason}")
    ips = ", ".join(v.ip for v in staging)
    vias = sorted({v.via for v in staging if v.via})
    ips += f" through proxy {' and '.join(vias)}" if vias else ""
    production = f" and at production {', '.join(v.ip for v in judged_production)}" if judged_production else ""
    checked = f"; still valid on {' and on '.join(dict.fromkeys(label for label, _ in trust.later))}" \
        if trust.later else ""
    return Verdict(True, f"{prefix}{judge} trusts the chain served at staging {ips}{production} for {t.hostname}"
                         f"{judged}{in_phase}{checked}", warnings=tuple(warnings))


def _days(when: dt.datetime, now: dt.datetime) -> str:
    days = (when - now).days
    return f"in {days} day(s)" if days >= 0 else f"{-days} day(s) ago"


def new_cert_staged(pod: PodEvidence, bundle: Bundle | None, warn_days: int = 14,
                    now: dt.datetime | None = None, phase: Phase | None = None) -> Verdict:
    """The new certificate is on staging: not production's (and the bundle's when there is one), or, once the
    pod is cut over, on production too."""
    now = now or dt.datetime.now(dt.UTC)
    t = pod.target
    live = [f.leaf for f in pod.production_chains if f.leaf is not None]
    if phase is not None and phase.name == lifecycle.CUT_OVER and live:
        leaf = live[0]
        return Verdict(True, f"cut over: production serves the new certificate {phase.since_text}: {leaf.short} at "
                             f"{', '.join(f.ip for f in pod.production_chains)} for {t.hostname} (new known from "
                             f"{phase.known_by}).")
    prod_ips = set(pod.staging.production_ips)
    true_staging = [f for f in pod.staging_chains if f.ip not in prod_ips]
    if pod.staging_chains and not true_staging:
        return _failed(f"not judged: staging name {pod.staging.staging_name} resolves only to production IP(s) "
                       f"of {t.hostname} ({', '.join(f.ip for f in pod.staging_chains)}), so the certificate "
                       "on staging was not seen (see staging_resolves).", _staging_dns_action(pod))
    staged = [f.leaf for f in true_staging if f.leaf is not None]
    if not staged:
        why = pod.staging.problem or "; ".join(f.error for f in true_staging if f.error) or "no staging IP"
        action = _staging_dns_action(pod) if pod.staging.problem or not true_staging else _connection_action(why)
        return _failed(f"not judged: no certificate was fetched from staging for {t.hostname} ({why}).", action)
    rolling = phase is not None and phase.name == lifecycle.ROLLING
    if rolling and len({c.sha256 for c in staged}) > 1:
        return _failed(f"rolling: the staging addresses of {t.hostname} serve different leaves: {phase.why}. "
                              "Staging has not finished switching to the new certificate; until every address serves "
                              "it, some clients would get the old one. Ask the provider to finish the activation on "
                              "Akamai staging, then run again.", Action(PROVIDER, FINISH_STAGING))
    same = [c for c in staged if any(c.sha256 == p.sha256 for p in live)]
    calendar = ""
    if live:
        soonest = min(live, key=lambda c: c.not_after)
        calendar = f" The production leaf expires {soonest.not_after:%Y-%m-%d} ({_days(soonest.not_after, now)})"
        if t.renewal_date:
            renewal = dt.datetime.combine(t.renewal_date, dt.time(), dt.UTC)
            calendar += f"; the renewal date is {t.renewal_date:%Y-%m-%d} ({_days(renewal, now)})"
        calendar += "."
    if same and rolling and phase is not None and phase.new_leaves \
            and all(c.sha256 in phase.new_leaves for c in staged):
        # Production is switching, and staging serves what some production addresses already serve: the new one.
        return Verdict(True, f"rolling: production is switching to the new certificate ({phase.why}); staging "
                             f"serves it for {t.hostname}: {staged[0].short}.")
    if same:
        leaf = same[0]
        if phase is not None and phase.name == lifecycle.UNKNOWN:
            return _failed(f"staging serves the same leaf as production for {t.hostname} ({leaf.short}), "
                           f"and whether that is the old or the new certificate is not known: {phase.why}."
                           f"{calendar}", Action("local", TELL_NEW))
        urgent = ""
        if leaf.not_after - now <= dt.timedelta(days=warn_days):
            urgent = (f" URGENT: it expires within warn_days ({warn_days}) and staging still serves it: escalate on "
                      "the service request now.")
        # Only true staging addresses were compared (a staging name answered with production IPs alone is
        # "not judged" above), so production's leaf there is the provider's to replace.
        return _failed(f"the new certificate is not on staging yet for {t.hostname}: staging serves the same "
                       f"leaf as production ({leaf.short}).{calendar}{urgent} Ask the provider when the renewed "
                       "certificate will be activated on Akamai staging.", Action(PROVIDER, SERVE_STAGED))
    if bundle is not None and bundle.servers:
        foreign = [c for c in staged if all(c.sha256 != s.sha256 for s in bundle.servers)]
        if foreign:
            return _failed(f"staging serves {foreign[0].short} for {t.hostname}, which is not a server "
                           f"certificate of the {t.dc} bundle ({', '.join(s.short for s in bundle.servers)})."
                           f"{calendar} Either the bundle is out of date (download it again) or staging "
                           "serves another certificate than the one the provider announced.",
                           Action(PROVIDER, CONFIRM_CERT))
    return Verdict(True, f"staging serves a new leaf for {t.hostname}: {staged[0].short}, not production's"
                         f"{' and the bundle' + chr(39) + 's server certificate' if bundle is not None else ''}."
                         f"{calendar}")


def aliases_present(dc: DataCenter, store: StoreContents | None, bundle: Bundle, store_error: str | None) -> Verdict:
    if store is None:
        return _failed(f"the truststore could not be read by the judge: {store_error}", Action("local", READ_STORE))
    problems: list[str] = []
    remedy: list[Action] = []
    for role, alias, cert in (("root", dc.root_alias, bundle.root), ("intermediate", dc.intermediate_alias,
                                                                   bundle.intermediate)):
        assert alias is not None  # config requires both aliases when a bundle is set
        entry = store.by_alias(alias)
        elsewhere = [e.alias for e in store.trusted if e.cert is not None and e.cert.sha256 == cert.sha256
                     and e.alias != alias.lower()]
        if entry is None:
            if elsewhere:
                problems.append(
                    f"the bundle's {role} CA {cert.name} is in the truststore, but under alias "
                    f"{', '.join(map(repr, elsewhere))} instead of {alias!r}. Either set "
                    f"{role}_alias = \"{elsewhere[0]}\" for {dc.code} in datacenters.toml, or rename the entry."
                )
                remedy.append(_on_store(store, "changealias", elsewhere[0], cert, dest_alias=alias))
            else:
                problems.append(
                    f"alias {alias!r} is missing: the bundle's {role} CA {cert.short} is not in the truststore, "
                    f"so the client cannot build a path to the new chain. Import it."
                )
                remedy.append(_import(store, alias, bundle, cert))
        elif entry.kind != "trustedCertEntry" or entry.cert is None:
            what = ("a certificate Java ignores (a PKCS12 bag without Oracle's trusted-key-usage attribute, "
                    "as openssl pkcs12 -export writes)" if entry.kind == "ignoredCertificate" else f"a {entry.kind}")
            problems.append(f"alias {alias!r} is {what}, not a trusted certificate entry; Java does not trust it "
                            f"as a CA. Delete it and import the bundle's {role} CA with keytool -trustcacerts.")
            remedy += [_on_store(store, "delete", alias, entry.cert), _import(store, alias, bundle, cert)]
        elif entry.cert.sha256 != cert.sha256:
            same_name = " (same subject: an older or other edition of that CA, e.g. last year's)" \
                if entry.cert.subject == cert.subject else ""
            problems.append(
                f"alias {alias!r} holds a different certificate: {entry.cert.short}{same_name}, not the bundle's "
                f"{role} CA {cert.short}. Replace it with the bundle's."
                + (f" (The bundle's {role} is also under {', '.join(map(repr, elsewhere))}.)" if elsewhere else "")
            )
            remedy += [_on_store(store, "delete", alias, entry.cert), _import(store, alias, bundle, cert)]
    if problems:
        return _failed(f"{dc.code}: " + " ".join(problems), *remedy)
    return Verdict(True, f"{dc.code}: root under {dc.root_alias!r} and intermediate under {dc.intermediate_alias!r} "
                         f"match the bundle by SHA-256 (store read by {store.read_by})")


def _provider_reasons(cert: CertInfo, dc: DataCenter, bundle: Bundle | None,
                      pods: Iterable[PodEvidence]) -> list[str]:
    reasons = []
    if bundle is not None and any(s.sha256 == cert.sha256 for s in bundle.servers):
        reasons.append(f"it is the server certificate of the {dc.code} bundle")
    for p in pods:
        for kind, fetches in (("staging", p.staging_chains), ("production", p.production_chains)):
            if any(f.leaf is not None and f.leaf.sha256 == cert.sha256 for f in fetches):
                reasons.append(f"it is the leaf served at {kind} for {p.target.hostname}")
    covered = [h for h in dc.hostnames if cert.covers(h)]
    if covered:
        reasons.append(f"its name covers {', '.join(covered)}")
    return reasons


def no_lb_cert(dc: DataCenter, config: Config, evidence: Evidence, client: ClientEvidence | None = None,
               warn_unrelated: bool = True) -> Verdict:
    """`client`: whose store (default: the run's first client); `warn_unrelated`: list end-entity entries
    unrelated to the provider; they are the store's, not this data centre's, so the checks ask it of one
    data centre only rather than repeat it for all fourteen."""
    client = client or evidence.first
    store = client.store
    if store is None:
        return _failed(f"the truststore could not be read by the judge: {client.store_error}",
                       Action("local", READ_STORE))
    all_pods = list(evidence.pods.values())
    mine = [p for p in all_pods if p.target.dc == dc.code]
    pinned: list[str] = []
    remedy: list[Action] = []
    warnings: list[str] = []
    for e in store.trusted:
        assert e.cert is not None
        if e.cert.is_ca:
            continue
        reasons = _provider_reasons(e.cert, dc, evidence.bundles.get(dc.code), mine)
        if reasons:
            pinned.append(f"alias {e.alias!r} ({e.cert.short}) is a server certificate of the provider: "
                          f"{'; '.join(dict.fromkeys(reasons))}.")
            remedy.append(_on_store(store, "delete", e.alias, e.cert))
            continue
        others = [d for d in config.datacenters if d.code != dc.code
                  and _provider_reasons(e.cert, d, evidence.bundles.get(d.code),
                                        [p for p in all_pods if p.target.dc == d.code])]
        if not others and warn_unrelated:
            warnings.append(f"end-entity entry {e.alias!r} ({e.cert.name}) is not the provider's; left alone, "
                            "since stores are shared across integrations, but a pinned leaf breaks when it is renewed.")
    if pinned:
        return _failed(
            f"{dc.code}: " + " ".join(pinned) + " A pinned load-balancer certificate stops matching the day the "
            "provider renews it; trust comes from the root and intermediate. Delete it from the truststore.",
            *remedy, warnings=tuple(warnings),
        )
    return Verdict(True, f"{dc.code}: no server certificate of the provider in the truststore "
                         f"({len(store.trusted)} trusted entries checked)", warnings=tuple(warnings))
