"""Gate 1, per pod: the staging twin of the pod's production hostname resolves to staging IPs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from cutover.evidence import PodEvidence
from cutover.gates.fixplan import Action
from cutover.gates.remedies import CHECK_OVERRIDE, dns_action
from cutover.gates.verdict import Verdict, failed


def _private(ips: Iterable[str]) -> list[str]:
    return [ip for ip in ips if ipaddress.ip_address(ip).is_private or ipaddress.ip_address(ip).is_loopback]


def staging_resolves(pod: PodEvidence, allow_private_ips: bool = False) -> Verdict:
    """Staging resolves to addresses of its own: an address production shares would judge the old chain."""
    st = pod.staging
    if st.problem:
        return failed(st.problem, dns_action(st.failure))
    shared = sorted(set(st.staging_ips) & set(st.production_ips))
    if shared:
        return failed(
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
