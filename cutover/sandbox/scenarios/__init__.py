"""The sandbox's scenarios: one good run, and one fault each, grouped by where the fault lives.

`SCENARIOS` is the public table, in the order the README and ``python -m cutover.sandbox --list`` show it
(a user meets the DNS faults first, then what staging serves, then the store, the client's own settings, the
proxy and the cutover).
A new scenario is a `Scenario` in its family's module and a line here.
"""

from __future__ import annotations

from types import ModuleType

from cutover.sandbox.scenario import Scenario
from cutover.sandbox.scenarios import client, dns, lifecycle, proxy, store, tls

GOOD = Scenario("good", "everything ready for cutover: every gate passes")

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    GOOD,
    dns.NO_STAGING_RECORD,
    dns.STAGING_SERVFAIL,
    dns.NO_EDGE_CNAME,
    dns.STAGING_IS_PRODUCTION,
    tls.MISSING_INTERMEDIATE,
    tls.UNTRUSTED_CA,
    tls.HOSTNAME_MISMATCH,
    tls.EXPIRED_LEAF,
    tls.SHORT_LIVED_LEAF,
    tls.HOSTILE_NAMES,
    lifecycle.NOT_STAGED_YET,
    lifecycle.NOT_STAGED_URGENT,
    dns.STAGING_NO_ANSWER,
    dns.DNS_TIMEOUT,
    dns.CNAME_LOOP,
    dns.LONG_CNAME_CHAIN,
    dns.TCP_ONLY_DNS,
    dns.IPV6_ONLY_STAGING,
    dns.SPLIT_HORIZON,
    tls.REFUSED,
    tls.RESET,
    tls.SPEAKS_HTTP,
    tls.TLS10_ONLY,
    tls.IGNORES_SNI,
    tls.CHAIN_OF_50,
    tls.HUGE_EXTENSION,
    tls.MALFORMED_CERT,
    tls.SILENT_DC,
    lifecycle.STAGED_CERT_NOT_IN_BUNDLE,
    tls.LEAF_WITHOUT_SAN,
    store.MISSING_INTERMEDIATE_ALIAS,
    store.STALE_INTERMEDIATE,
    store.INTERMEDIATE_OTHER_ALIAS,
    store.PINNED_LEAF,
    store.PINNED_PRODUCTION_LEAF,
    store.SHARED_STORE,
    client.JSSECACERTS_LACKS_ROOT,
    client.JSSECACERTS_HOLDS_ROOT,
    client.STORE_BY_OPTION,
    client.STORE_BY_OPTION_NO_PASSWORD,
    client.HTTPS_PROTOCOLS,
    client.HTTPS_CIPHER_SUITES,
    client.NO_SNI,
    client.UNION_ROOT_IN_SECOND,
    client.UNION_ROOT_IN_NEITHER,
    client.UNION_LEAF_IN_SECOND,
    proxy.VIA_PROXY,
    proxy.PROXY_AUTH_REQUIRED,
    proxy.PROXY_FORBIDS_STAGING,
    proxy.PROXY_SILENT,
    lifecycle.AFTER_CUTOVER,
    lifecycle.PARTIAL_CUTOVER,
    lifecycle.ROLLING_STAGING,
    lifecycle.CUTOVER_BROKE_TRUST,
)}


def _defined(*families: ModuleType) -> list[Scenario]:
    return [v for m in families for v in vars(m).values() if isinstance(v, Scenario)]


# A scenario written in its family's module but left out of the table would never run: say so at import.
_missing = [s.name for s in _defined(client, dns, lifecycle, proxy, store, tls) if SCENARIOS.get(s.name) is not s]
if _missing:
    raise RuntimeError(f"sandbox scenarios defined but not in SCENARIOS: {', '.join(_missing)}")
