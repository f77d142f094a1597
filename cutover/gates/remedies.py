"""Whose move a failure is: failure kinds, decided where each failure was observed, to fix-plan actions and hints.

The gates never read a message back: DNS (`StagingEvidence.failure`), the chain fetch (`ChainFetch.failure`)
and the judge (`TrustVerdict.failure`) each say what went wrong as a kind, and this table routes it. So
rewording a message cannot move a fix-plan step between "provider" and "network". The remedy texts are
worded without a pod's name so that equal ones merge in the plan.
"""

from __future__ import annotations

from collections.abc import Iterable

from cutover.base.certs import CertInfo
from cutover.gates.fixplan import PROVIDER, TRUST_PATH, Action
from cutover.judge.reasons import VerdictFailure
from cutover.judge.wire import TrustVerdict
from cutover.net.dns import DnsFailure, StagingEvidence
from cutover.net.tls import ChainFetch
from cutover.net.tunnel import PROXY_FAILURES
from cutover.stores.truststore import StoreContents

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
SEND_SNI = ("make the client send SNI: drop -Djsse.enableSNIExtension=false from its options (a client that connects "
            "by IP address: connect by the production hostname); without SNI the edge serves its default "
            "certificate, and no import fixes that")

GIVE_PASSWORD = ("give the client's JVM a store it opens with trust anchors in it: with no trust-store password an "
                 "encrypted PKCS12 shows none (set password_env = \"VARIABLE\" for the client in datacenters.toml when "
                 "its start script passes -Djavax.net.ssl.trustStorePassword: the variable that holds it); an empty "
                 "store needs the provider's CAs imported")
RUN_JVM = ("run with the client's own JDK (java_home for the client in datacenters.toml, or --java-home): its settings "
           "change what Java decides, and only its JVM applies them")

_DNS: dict[DnsFailure, Action] = {
    "production_nxdomain": Action("local", CHECK_HOSTNAME),
    "nxdomain": Action(PROVIDER, ACTIVATE_STAGING),
    "no_answer": Action(PROVIDER, ACTIVATE_STAGING),
    "no_edge_hostname": Action(PROVIDER, NAME_STAGING),
    "cname_too_long": Action(PROVIDER, FIX_CNAMES),
}
_RESOLVER = Action("network", CHECK_RESOLVER)  # servfail, timeout, dns_error, internal: the path to the resolver


def dns_action(failure: DnsFailure | None) -> Action:
    """Whose move a DNS failure is; one of no known kind is the resolver's."""
    return _DNS.get(failure, _RESOLVER) if failure is not None else _RESOLVER


def staging_action(st: StagingEvidence) -> Action:
    """The action staging_resolves gives the pod: a gate that could not see the new chain for that reason
    is fixed by the same step, so the plan names it once."""
    if st.problem:
        return dns_action(st.failure)
    if st.shared_ips:
        return Action("local", CHECK_OVERRIDE)
    return dns_action("no_answer")


_PROXY_KINDS = PROXY_FAILURES | {"proxy_error"}
#: In the order a route is chosen when several failures are seen at once (new_cert_staged puts every staging
#: address's fetch error in one message): the first that applies wins. Anything else is the provider's chain.
_ROUTES: tuple[tuple[frozenset[str], Action], ...] = (
    (frozenset({"no_anchor"}), Action("local", GIVE_PASSWORD)),
    (frozenset({"no_trust_path"}), Action(TRUST_PATH, SERVE_PATH)),
    (frozenset({"name_mismatch"}), Action(PROVIDER, SERVE_NAME)),
    (frozenset({"expired", "not_yet_valid"}), Action(PROVIDER, SERVE_VALID)),
    (frozenset({"revocation_unknown"}), Action("local", REACH_REVOCATION)),
    (_PROXY_KINDS, Action("network", FIX_PROXY)),
    (frozenset({"timeout", "refused", "unreachable", "reset"}), Action("network", OPEN_PATH)),
)
_REJECTED = Action(PROVIDER, SERVE_ACCEPTED)
#: The -D options by which a client changes what its JVM accepts (algorithm constraints, security properties, TLS
#: settings): with one of them, a chain its JVM rejects may be the client's own doing, not the provider's.
SECURITY_SETTINGS = ("-Djava.security.", "-Djdk.certpath.", "-Djdk.tls.", "-Djdk.security.", "-Dsun.security.",
                     "-Dcom.sun.security.")


def own_settings_action(java_options: Iterable[str]) -> Action | None:
    """What to check first when the JVM rejects a chain and the client sets its own security settings: which of
    the two refuses it (the client's settings or the provider's chain) only a run without them tells."""
    own = [o.partition("=")[0] for o in java_options if o.startswith(SECURITY_SETTINGS)]
    if not own:
        return None
    return Action("local", f"check the client's own security settings ({', '.join(dict.fromkeys(own))}): they change "
                           "what its JVM accepts and may be what refuses this chain; a run with the client's JDK "
                           "without them tells whether the chain is the provider's to change")
#: What Python's chain fetch may meet after its tunnel through a proxy opened: with the proxy in the path,
#: the fetch lays these at the proxy's door. (The JVM's verdicts through a proxy do not: a handshake the
#: JVM finished through a tunnel is judged on its own kind, as it always was.)
_AFTER_TUNNEL = frozenset({"timeout", "not_tls", "handshake", "closed", "reset", "unreachable", "socket_error"})


def _rank(failure: VerdictFailure | None, fetched_through_proxy: bool) -> int:
    """The route's place in `_ROUTES` (its length: the provider's chain)."""
    route = "proxy_error" if fetched_through_proxy and failure in _AFTER_TUNNEL else failure
    return next((n for n, (kinds, _) in enumerate(_ROUTES) if route in kinds), len(_ROUTES))


def _action(rank: int) -> Action:
    return _ROUTES[rank][1] if rank < len(_ROUTES) else _REJECTED


def verdict_action(v: TrustVerdict) -> Action:
    """Whose move a failed handshake or JVM rejection is (Python's fetch error, when no JVM judged). The client's
    own settings (its https.* options, its missing SNI) are its own to change: never an import, never the store."""
    if v.failure == "client_option":
        return Action("local", f"change or drop {v.options} in the client's options (its start script, or java_options "
                               "in datacenters.toml): with it, its JVM completes no handshake with staging; the store "
                               "is not the cause")
    if v.failure == "no_sni":
        return Action("local", SEND_SNI)
    if v.failure == "needs_jvm":
        return Action("local", RUN_JVM)
    return _action(_rank(v.failure, v.engine == "python" and v.via is not None))


def fetch_action(fetches: Iterable[ChainFetch]) -> Action:
    """Whose move it is that no chain was fetched: the most specific route of the failed fetches."""
    ranks = [_rank(f.failure, f.via is not None) for f in fetches if f.failure is not None]
    return _action(min(ranks, default=len(_ROUTES)))


_HINTS: dict[str, str] = {
    "no_anchor": ("The truststore, as the client's JVM opens it, holds no trusted certificate at all: without a "
                  "trust-store password (password_env) an encrypted PKCS12 shows none (see aliases_present)."),
    "no_trust_path": ("The truststore holds no certificate this chain leads to: import the provider's root and "
                      "intermediate CA (see aliases_present), or the server may be omitting its intermediate."),
    "name_mismatch": "The certificate served at staging does not name {host}: the provider must serve the right "
                     "certificate.",
    "expired": "A certificate of the served chain has expired: the provider must serve a renewed chain.",
    "not_yet_valid": "A certificate of the served chain is not valid yet: check the machine's clock and the chain's "
                     "dates.",
    "no_certificate": ("The server sent no certificate this client could be asked about: it has none it may sign "
                       "with for the client's signature schemes and cipher suites (compare the client's java options "
                       "and JDK with what the server offers)."),
    "no_sni": ("This client sends no SNI (-Djsse.enableSNIExtension=false, or it connects by IP address), so the edge "
               "served it its default certificate rather than {host}'s: make the client send SNI (drop that option, "
               "or connect by the hostname). The store is not the cause: do not import anything for this."),
    "revocation_unknown": ("The client checks revocation (com.sun.net.ssl.checkRevocation=true) and the JVM could not "
                           "learn this chain's status: it must reach the OCSP responder or CRL the certificates "
                           "name."),
}


def hint(failure: VerdictFailure | None, host: str, via: str | None = None, options: str | None = None) -> str:
    """The sentence after a rejection that says what it most likely means; empty when nothing more is known.
    `options`: the client's https.* options that ended the handshake (``client_option``)."""
    if failure == "client_option":
        return (f"The client's {options}, applied as HttpsURLConnection applies it to every connection, leaves no "
                "protocol or cipher suite that staging accepts: change that option; the store is not the cause, and "
                "no import fixes it.")
    if failure in _HINTS:
        return _HINTS[failure].format(host=host)
    if via and failure in ("closed", "reset"):
        return (f"The tunnel through proxy {via} closed during the handshake: the proxy may cut tunnels it inspects "
                "or does not allow, or the staging IP closed it; ask the proxy's administrators, or compare from a "
                "network without the proxy.")
    if failure in ("timeout", "refused", "proxy_error"):
        if via:
            return f"The staging IP did not complete a handshake through proxy {via}: check the path from the proxy."
        return ("The staging IP did not complete a handshake: check the firewall; if this network reaches the "
                "internet only through an HTTP proxy, give it with --proxy or [run] proxy (docs/proxy.md).")
    return ""


def store_action(store: StoreContents, kind: str, alias: str, cert: CertInfo | None = None,
                 dest_alias: str | None = None, file: str | None = None) -> Action:
    """A keytool step on the client's store, as the fix plan merges and prints it."""
    return Action(kind, store=str(store.path), store_type=store.store_type, alias=alias, dest_alias=dest_alias,
                  sha256=cert.sha256 if cert else None, subject=cert.name if cert else None, file=file)
