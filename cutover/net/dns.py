"""From a pod's production hostname to the IPs of its Akamai staging twin.

The production hostname CNAMEs to an edge hostname (``X.edgekey.net`` for Enhanced TLS,
``X.edgesuite.net`` for Standard TLS); its staging twin is ``X.edgekey-staging.net``. Staging IPs
change, so every run resolves afresh and nothing is cached across runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from cutover.base.text import shorten

EDGE_SUFFIXES = (".edgekey.net", ".edgesuite.net")
MAX_CNAMES = 16  # what resolvers follow before they give up (BIND's limit); longer is a misconfiguration

#: Why staging could not be resolved, decided where dnspython said so (see `StagingEvidence.failure`).
DnsFailure = Literal["production_nxdomain", "nxdomain", "no_answer", "no_edge_hostname", "cname_too_long",
                     "servfail", "timeout", "dns_error", "internal"]


@dataclass(frozen=True)
class StagingEvidence:
    """What DNS said about one pod.

    Attributes:
        hostname: the production hostname asked about.
        cname_chain: the production hostname, then every CNAME target in order.
        production_ips: A/AAAA addresses the production hostname finally resolves to.
        edge_hostname: the Akamai edge hostname found in the chain; None when there is none.
        staging_name: the name whose addresses are the staging IPs (edge twin or configured fallback).
        staging_chain: the staging name, then every CNAME target in order.
        staging_ips: A/AAAA addresses of the staging name.
        problem: why staging could not be resolved, as a person reads it; None when it was.
        failure: the same as a kind, for the fix plan; None when staging resolved. ``production_nxdomain``
            (the production hostname does not exist), ``nxdomain`` (the staging name does not), ``no_answer``
            (the staging name has no address), ``no_edge_hostname`` (no Akamai edge hostname in the chain and
            no staging_hostname configured), ``cname_too_long`` (more CNAMEs than resolvers follow),
            ``servfail`` (the resolver failed or refused), ``timeout``, ``dns_error`` (another DNS failure),
            ``internal`` (a bug while resolving).
        seconds: how long the look-ups took.
    """

    hostname: str
    cname_chain: tuple[str, ...] = ()
    production_ips: tuple[str, ...] = ()
    edge_hostname: str | None = None
    staging_name: str | None = None
    staging_chain: tuple[str, ...] = ()
    staging_ips: tuple[str, ...] = ()
    problem: str | None = None
    seconds: float = 0.0
    failure: DnsFailure | None = None

    @property
    def shared_ips(self) -> tuple[str, ...]:
        """Staging addresses that are production's too (a DNS override, a split horizon): what answers there is
        production's chain, never the new one."""
        return tuple(ip for ip in self.staging_ips if ip in self.production_ips)

    @property
    def true_staging_ips(self) -> tuple[str, ...]:
        """The staging addresses that are not production's: only these show the new chain (the one rule every
        gate, the remedies and the lifecycle decision apply)."""
        return tuple(ip for ip in self.staging_ips if ip not in self.production_ips)


def staging_twin(edge_hostname: str) -> str:
    """``X.edgekey.net`` -> ``X.edgekey-staging.net`` (Akamai's "Test your property" convention)."""
    name = edge_hostname.rstrip(".")
    assert name.endswith(".net"), name
    return name[: -len(".net")] + "-staging.net"


def edge_hostname_in(chain: Sequence[str]) -> str | None:
    for name in chain:
        if name.rstrip(".").lower().endswith(EDGE_SUFFIXES):
            return name.rstrip(".")
    return None


def make_resolver(nameservers: Sequence[tuple[str, int]], timeout: float) -> dns.asyncresolver.Resolver:
    """A resolver that asks the given servers, or the system's when none are given.

    dnspython's asyncio resolver: a run's look-ups are all in flight on one event loop (see
    `cutover.evidence`), where a thread per look-up cost the 504-pod run twice the CPU of its DNS.
    """
    if nameservers:
        r = dns.asyncresolver.Resolver(configure=False)
        r.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in nameservers]
    else:
        r = dns.asyncresolver.Resolver()
    r.lifetime = timeout
    r.timeout = max(timeout / 3, 0.2)
    r.cache = None
    return r


PRODUCTION = "production hostname"  # how a message names the production hostname's look-up


class _Failure(Exception):
    """A DNS failure: `str()` is the sentence, `kind` what it is."""

    def __init__(self, kind: DnsFailure, message: str) -> None:
        super().__init__(message)
        self.kind: DnsFailure = kind


async def _lookup(resolver: dns.asyncresolver.Resolver, name: str,
                  what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses and the CNAME chain of `name`; raise _Failure with a sentence on any DNS failure."""
    qname = dns.name.from_text(name)  # absolute: a relative name would get a search suffix appended
    # A and AAAA are asked at once: on a far-away resolver that halves the wait. Both are awaited, and the
    # A query's failure is the one said when both fail, whichever came first.
    both = await asyncio.gather(*(_ask(resolver, qname, rdtype, name, what)
                                  for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)), return_exceptions=True)
    answers: list[dns.resolver.Answer] = []
    for answer in both:
        if isinstance(answer, BaseException):
            raise answer
        answers.append(answer)
    chain: tuple[str, ...] = (name,)
    ips: list[str] = []
    for answer in answers:
        result = answer.chaining_result  # dnspython resolved the chain as it made the answer
        chain = (name, *(str(rrset[0].target).rstrip(".") for rrset in result.cnames))
        if result.answer is not None:
            ips.extend(r.address for r in result.answer)
    if len(chain) - 1 > MAX_CNAMES:
        raise _Failure(
            "cname_too_long",
            f"the CNAME chain of {what} {name} is {len(chain) - 1} names long, longer than {MAX_CNAMES}: resolvers "
            f"give up before its end ({' -> '.join(chain[:3])} -> ... -> {chain[-1]}). Report it to the provider."
        )
    return tuple(ips), chain


async def _ask(resolver: dns.asyncresolver.Resolver, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
               name: str, what: str) -> dns.resolver.Answer:
    try:
        return await resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN as e:
        raise _Failure(
            "production_nxdomain" if what == PRODUCTION else "nxdomain",
            f"{what} {name} does not exist (NXDOMAIN{_chain_of(e)}). Check the name, or ask the provider "
            "whether it is on the Akamai staging network yet."
        ) from None
    except dns.resolver.NoNameservers as e:
        if "CNAME chain is too long" in str(e):  # dnspython follows at most 16, as resolvers do
            raise _Failure(
                "cname_too_long",
                f"the CNAME chain of {what} {name} is longer than {MAX_CNAMES} names: resolvers give up before its "
                "end, so clients cannot reach an address. Report the chain to the provider."
            ) from None
        raise _Failure(
            "servfail",
            f"the resolver could not answer for {what} {name} (SERVFAIL or refused; {_short(e)}). "
            "This is a DNS server failure, often a broken or looping CNAME; retry, or ask with another "
            "--nameserver."
        ) from None
    except dns.resolver.LifetimeTimeout:
        raise _Failure(
            "timeout",
            f"DNS timed out for {what} {name} after {resolver.lifetime:g}s: no answer from "
            f"{', '.join(str(n) for n in resolver.nameservers)}. Check the resolver and the network path "
            "(VPN, firewall), or raise the timeout."
        ) from None
    except dns.exception.DNSException as e:
        raise _Failure("dns_error", f"DNS look-up of {what} {name} failed: {_short(e)}.") from None


def _chain_of(e: dns.resolver.NXDOMAIN) -> str:
    try:
        canon = str(e.canonical_name).rstrip(".")
    except Exception:
        return ""
    return f", via CNAME to {canon}" if canon and canon not in str(e) else ""


def _short(e: Exception) -> str:
    return shorten(str(e) or type(e).__name__, 299)


def resolve_staging(
    hostname: str,
    resolver: dns.asyncresolver.Resolver,
    fallback_staging: str | None = None,
) -> StagingEvidence:
    """`resolve_staging_async` for one pod from synchronous code (a command, a test), on a loop of its own."""
    return asyncio.run(resolve_staging_async(hostname, resolver, fallback_staging))


async def resolve_staging_async(
    hostname: str,
    resolver: dns.asyncresolver.Resolver,
    fallback_staging: str | None = None,
) -> StagingEvidence:
    """Follow `hostname` to its edge hostname and resolve the staging twin; never raises for DNS failures."""
    start = time.monotonic()
    ev = StagingEvidence(hostname=hostname)
    try:
        prod_ips, chain = await _lookup(resolver, hostname, PRODUCTION)
        ev = StagingEvidence(hostname, cname_chain=chain, production_ips=prod_ips)
        edge = edge_hostname_in(chain)
        if edge is not None:
            staging = staging_twin(edge)
        elif fallback_staging:
            staging = fallback_staging
        else:
            shown = " -> ".join(chain)
            raise _Failure(
                "no_edge_hostname",
                f"no Akamai edge hostname in the CNAME chain of {hostname} ({shown}): it does not CNAME to "
                "*.edgekey.net or *.edgesuite.net, so its staging twin cannot be derived. Ask the provider for "
                "the staging name and set staging_hostname for this data centre in datacenters.toml."
            )
        ev = StagingEvidence(hostname, chain, prod_ips, edge, staging)
        staging_ips, staging_chain = await _lookup(resolver, staging, "staging name")
        if not staging_ips:
            raise _Failure(
                "no_answer",
                f"staging name {staging} exists but has no A or AAAA record (NoAnswer); the pod is not on the "
                "staging network. Ask the provider to activate the property on staging."
            )
        return StagingEvidence(hostname, chain, prod_ips, edge, staging, staging_chain, staging_ips,
                               None, time.monotonic() - start)
    except _Failure as f:
        return StagingEvidence(ev.hostname, ev.cname_chain, ev.production_ips, ev.edge_hostname, ev.staging_name,
                               (), (), str(f), time.monotonic() - start, f.kind)
