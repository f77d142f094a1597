"""``cutover init``'s look before it writes: each pod's name and its staging twin, through the gates' own DNS code.

A host typo (``abcd-tset``) or a pod not yet on Akamai staging used to surface only at the first gate run, in a
file the user believed finished. Resolving here, with the resolver the run will use (``--nameserver``), says per
pod what was found while the user still has the URLs in front of them; a name that does not resolve is a warning
on that pod, not a refusal: staging may come later, and the file is still the right one.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dns.resolver

from cutover.net.dns import StagingEvidence, make_resolver, resolve_staging_async

#: Seconds one name's look-ups may take (the resolver's lifetime): a pod's two look-ups (production, then its
#: staging twin) are bounded by twice this, and every pod is asked at once.
RESOLVE_TIMEOUT = 5.0


class ResolveError(Exception):
    """No look-up could be made at all (no resolver to ask); the message names the fix."""


@dataclass(frozen=True)
class Found:
    """What init saw for one pod.

    Attributes:
        pod_id: ``<data centre>/<pod>``, as the gates will name it.
        line: one line saying what was found, or why not.
        warning: the pod's name or its staging twin did not resolve.
        private: private or loopback addresses it resolved to (the gates warn about them unless allowed).
    """

    pod_id: str
    line: str
    warning: bool
    private: tuple[str, ...] = ()


def resolve_all(hosts: Mapping[str, str], nameservers: Sequence[tuple[str, int]],
                timeout: float = RESOLVE_TIMEOUT) -> dict[str, StagingEvidence]:
    """Every pod (id -> hostname) at once, on one event loop; raises ResolveError when there is no resolver."""
    try:
        resolver = make_resolver(nameservers, timeout)
    except dns.resolver.NoResolverConfiguration:
        raise ResolveError("cutover init: this machine has no DNS resolver configured (no nameserver in "
                           "/etc/resolv.conf); give the one your run will use with --nameserver IP, or skip the "
                           "look-ups with --no-resolve.") from None

    async def every() -> list[StagingEvidence]:
        return list(await asyncio.gather(*(resolve_staging_async(h, resolver) for h in hosts.values())))

    return dict(zip(hosts, asyncio.run(every()), strict=True))


def _private(ips: Sequence[str]) -> tuple[str, ...]:
    return tuple(ip for ip in ips if ipaddress.ip_address(ip).is_private or ipaddress.ip_address(ip).is_loopback)


def found(pod_id: str, ev: StagingEvidence) -> Found:
    """One line for one pod: its addresses and what the staging twin answered, or the problem with its fix
    (the gates' own sentence: staging_resolves will say the same until it is fixed)."""
    if ev.problem:
        return Found(pod_id, f"{pod_id}: warning: {ev.problem}", True)
    private = _private((*ev.staging_ips, *ev.production_ips))
    line = (f"{pod_id}: {ev.hostname} -> {', '.join(ev.production_ips) or 'no address'}; staging twin "
            f"{ev.staging_name} -> {', '.join(ev.staging_ips)}")
    if private:
        line += " (private or loopback: see allow_private_ips in the file's [run])"
    return Found(pod_id, line, False, private)
