"""Gate 1, per pod: the staging twin of the pod's production hostname resolves to staging IPs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from cutover.evidence import PodEvidence
from cutover.gates.fixplan import Action
from cutover.gates.remedies import CHECK_OVERRIDE, dns_action
from cutover.gates.verdict import GateVerdict, failed


def _private(ips: Iterable[str]) -> list[str]:
    return [ip for ip in ips if ipaddress.ip_address(ip).is_private or ipaddress.ip_address(ip).is_loopback]


def staging_resolves(pod: PodEvidence, allow_private_ips: bool = False,
                     nameservers: Sequence[tuple[str, int]] = ()) -> GateVerdict:
    """Staging resolves to addresses of its own: an address production shares would judge the old chain.

    `nameservers`: the resolvers the run asked (--nameserver, [run] nameservers); empty: the system's. The
    split-horizon warning's advice depends on it: "ask a public resolver" is no advice to whoever already did.
    """
    st = pod.staging
    if st.problem:
        return failed(st.problem, dns_action(st.failure))
    shared = sorted(set(st.shared_ips))
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
        seen = f"the resolver answered {st.hostname} with private or loopback address(es) {', '.join(private)}"
        if nameservers:
            asked = ", ".join(f"{h}:{p}" if p != 53 else h for h, p in nameservers)
            warnings.append(
                f"{seen}, although it was asked through --nameserver {asked}: that server is itself inside the "
                "split horizon (an internal resolver, or one whose answers a VPN or DNS proxy rewrites), so the "
                "verdicts are about those addresses. Give --nameserver a resolver outside your network (a public "
                "one such as 8.8.8.8 or 1.1.1.1, if your firewall lets DNS out), or set [run] allow_private_ips = "
                "true if these addresses are intended."
            )
        else:
            warnings.append(
                f"{seen}: split-horizon DNS or a local override (hosts file, proxy, VPN) stands between you and "
                "Akamai, so the verdicts are about those addresses. Ask with the public resolver (--nameserver), or "
                "set [run] allow_private_ips = true if this is intended."
            )
    return GateVerdict(
        True,
        f"{chain}; staging {st.staging_name} -> {', '.join(st.staging_ips)} "
        f"(production: {', '.join(st.production_ips) or 'none'})",
        warnings=tuple(warnings),
    )
