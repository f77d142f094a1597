"""Where a pod is in its renewal: not staged yet, staged, rolling, cut over. Staging serving production's
chain (`Scenario.staging`), production serving the new one (`Scenario.production`), or both at once."""

from __future__ import annotations

from cutover.sandbox import pki
from cutover.sandbox.dnsserver import Zone
from cutover.sandbox.scenario import Listen, Pod, Scenario
from cutover.sandbox.scenarios.store import no_intermediate


def _old_chain(pod: Pod) -> list[pki.Issued]:
    return pod.old_chain


def _expires_in_10_days(pod: Pod) -> None:
    pod.old_days = 10


def _fresh_leaf(pod: Pod) -> list[pki.Issued]:
    return [pki.make_leaf([pod.host], pod.ca.inter), pod.ca.inter]


def _cut_over(pod: Pod, staging: list[pki.Issued]) -> list[pki.Issued]:
    return staging


def _every_pod(pod: Pod) -> bool:
    return True


def _every_other_dc(pod: Pod) -> bool:
    return pod.served % 2 == 0


def _rolling_ip(pod: Pod) -> str:
    """A second staging address, not switched yet."""
    return f"127.21.{pod.dc_index}.{pod.slot + 1}"


def _two_staging_addresses(zone: Zone, pod: Pod) -> None:
    pod.edge_records(zone)
    pod.staging_records(zone, pod.staging_ip, _rolling_ip(pod))


def _one_still_old(pod: Pod, chain: list[pki.Issued]) -> list[Listen]:
    return [Listen(pod.staging_ip, chain), Listen(_rolling_ip(pod), pod.old_chain, "staging2")]


def _leaf_alone(pod: Pod, staging: list[pki.Issued]) -> list[pki.Issued]:
    return [pod.leaf]


NOT_STAGED_YET = Scenario(
    "not-staged-yet", "staging still serves production's (old) certificate for one pod",
    (("new_cert_staged", "pod"),), "the new certificate is not on staging yet", staging=_old_chain)
NOT_STAGED_URGENT = Scenario(
    "not-staged-urgent", "staging still serves production's certificate for one pod, and it expires in "
    "10 days (warn_days is 14), before the renewal date",
    (("new_cert_staged", "pod"), ("chain_trusted", "pod")), "URGENT: it expires within warn_days",
    pod=_expires_in_10_days, staging=_old_chain)
STAGED_CERT_NOT_IN_BUNDLE = Scenario(
    "staged-cert-not-in-bundle", "staging serves one pod a new certificate that is not the bundle's",
    (("new_cert_staged", "pod"),), "which is not a server certificate of the us2 bundle", staging=_fresh_leaf)
AFTER_CUTOVER = Scenario(
    "after-cutover", "every pod is cut over: production serves the new certificate, as staging does "
    "(everything passes)", (), "phases: cut over 28", affects=_every_pod, production=_cut_over)
PARTIAL_CUTOVER = Scenario(
    "partial-cutover", "half the data centres (every other one, from ca2) are cut over, the rest are "
    "staged (everything passes)", (), "cut over 14", affects=_every_other_dc, production=_cut_over)
ROLLING_STAGING = Scenario(
    "rolling-staging", "one pod's staging name has two addresses and one of them still serves the old "
    "leaf", (("new_cert_staged", "pod"),), "rolling: the staging addresses",
    records=_two_staging_addresses, listen=_one_still_old)
CUTOVER_BROKE_TRUST = Scenario(
    "cutover-broke-trust", "one pod's production switched to the new certificate but sends it without "
    "its intermediate, and the store holds only the root: staging, which sends the intermediate, passed",
    (("chain_trusted", "pod"), ("aliases_present", "all")), "rejects the chain at production",
    production=_leaf_alone, store=no_intermediate)
