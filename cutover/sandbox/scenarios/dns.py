"""DNS faults: what the resolver answers for the faulted pod's names.

Each fault replaces the pod's records (`Scenario.records`); production's stay as they are unless the fault
is about production's name itself (``no-edge-cname``).
"""

from __future__ import annotations

import itertools

from cutover.sandbox.dnsserver import Record, Zone
from cutover.sandbox.scenario import DNS_FAULT, Pod, Scenario


def _no_edge_cname(zone: Zone, pod: Pod) -> None:
    zone.address(pod.host, pod.prod_ip)
    pod.staging_records(zone)


def _no_staging_record(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)


def _staging_servfail(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    zone[pod.staging_name] = Record(behaviour="servfail")


def _staging_is_production(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    pod.staging_records(zone, pod.prod_ip)


def _staging_no_answer(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    pod.staging_records(zone)
    zone[f"{pod.akamai}-staging.net"] = Record()


def _never_answers(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    zone[pod.staging_name] = Record(behaviour="drop")


def _cname_loop(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    a, b = f"loop-a.{pod.akamai}-staging.net", f"loop-b.{pod.akamai}-staging.net"
    zone.cname(pod.staging_name, a)
    zone.cname(a, b)
    zone.cname(b, pod.staging_name)


def _long_cname_chain(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    hops = [pod.staging_name] + [f"hop{k}.{pod.akamai}-staging.net" for k in range(20)]
    for a, b in itertools.pairwise(hops):
        zone.cname(a, b)
    zone.address(hops[-1], pod.staging_ip)


def _tcp_only(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    pod.staging_records(zone)
    for name in (pod.host, pod.edge, f"{pod.akamai}.net", pod.staging_name, f"{pod.akamai}-staging.net"):
        if name.lower() in zone:
            zone[name.lower()].behaviour = "tcp-only"


def _on_ipv6_loopback(pod: Pod) -> None:
    pod.staging_ip = "::1"


NO_STAGING_RECORD = Scenario(
    "no-staging-record", "the staging twin of one pod's edge hostname does not exist (NXDOMAIN)",
    DNS_FAULT, "does not exist (NXDOMAIN", records=_no_staging_record)
STAGING_SERVFAIL = Scenario(
    "staging-servfail", "the resolver answers SERVFAIL for one pod's staging name",
    DNS_FAULT, "SERVFAIL", records=_staging_servfail)
NO_EDGE_CNAME = Scenario(
    "no-edge-cname", "one pod's hostname has an A record directly, no CNAME to an Akamai edge hostname",
    DNS_FAULT, "no Akamai edge hostname", records=_no_edge_cname)
STAGING_IS_PRODUCTION = Scenario(
    "staging-is-production", "one pod's staging name resolves to its production IP: the new chain is "
    "never seen, so chain_trusted is not judged (a failure, never a pass)",
    (("staging_resolves", "pod"), ("chain_trusted", "pod"), ("new_cert_staged", "pod")),
    "also a production IP", records=_staging_is_production)
STAGING_NO_ANSWER = Scenario(
    "staging-no-answer", "one pod's staging name exists but has no A or AAAA record",
    DNS_FAULT, "NoAnswer", records=_staging_no_answer)
DNS_TIMEOUT = Scenario(
    "dns-timeout", "the resolver never answers for one pod's staging name",
    DNS_FAULT, "DNS timed out for staging name", config=(("dns_timeout", "1.5"),), records=_never_answers)
CNAME_LOOP = Scenario(
    "cname-loop", "one pod's staging name CNAMEs in a loop", DNS_FAULT, "SERVFAIL", records=_cname_loop)
LONG_CNAME_CHAIN = Scenario(
    "long-cname-chain", "one pod's staging name CNAMEs through 20 names before an address",
    DNS_FAULT, "longer than 16", records=_long_cname_chain)
TCP_ONLY_DNS = Scenario(
    "tcp-only-dns", "the resolver truncates its UDP answers for one pod: the client must ask over TCP "
    "(everything passes)", (), "", records=_tcp_only)
IPV6_ONLY_STAGING = Scenario(
    "ipv6-only-staging", "one pod's staging name has only an AAAA record, served on ::1 (everything passes)",
    (), "", pod=_on_ipv6_loopback)
# Everything the sandbox serves is on loopback: only this scenario turns the private-address warning on.
SPLIT_HORIZON = Scenario(
    "split-horizon", "the resolver answers the provider's public names with loopback addresses, as a "
    "split-horizon DNS or local override would: every pod passes with a warning", (), "split-horizon",
    config=(("allow_private_ips", "false"),))
