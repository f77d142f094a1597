"""Faults in what staging serves: the chain (`Scenario.new_leaf`, `Scenario.staging`) or how the address
behaves (`Scenario.listen`).

A fault in the new leaf itself is the provider's: its bundle announces that leaf too. A fault in the chain
around it (an omitted intermediate, another CA, a filler) is the edge's: the bundle still announces the
good new leaf.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509

from cutover.sandbox import pki
from cutover.sandbox.scenario import HOSTILE, TLS_FAULT, Listen, Pod, Scenario, StoreDraft, hostname
from cutover.sandbox.scenarios.store import no_intermediate


def _only_the_leaf(pod: Pod) -> list[pki.Issued]:
    return [pod.leaf]


def _unknown_ca(pod: Pod) -> list[pki.Issued]:
    rogue_root = pki.make_root("Unknown Root CA", org="Somebody Else")
    rogue_inter = pki.make_intermediate("Unknown Issuing CA", rogue_root, org="Somebody Else")
    return [pki.make_leaf([pod.host], rogue_inter), rogue_inter]


def _names_another_host(pod: Pod) -> pki.Issued:
    return pki.make_leaf([hostname(pod.dc, "someone-else")], pod.ca.inter)


def _expired(pod: Pod) -> pki.Issued:
    return pki.make_leaf([pod.host], pod.ca.inter, pki.NOW - 400 * pki.DAY, pki.NOW - pki.DAY)


def _short_lived(pod: Pod) -> pki.Issued:
    return pki.make_leaf([pod.host], pod.ca.inter, pki.NOW - pki.DAY, pki.NOW + 20 * pki.DAY)


def _hostile_leaf(pod: Pod) -> pki.Issued:
    return pki.make_leaf([pod.host], pod.ca.inter, org=HOSTILE)


def _hostile_partner(draft: StoreDraft) -> None:
    draft.partner_org = HOSTILE + "X" * 10_000


def _cn_only(pod: Pod) -> pki.Issued:
    return pki.make_leaf([pod.host], pod.ca.inter, san=False)


def _fifty_long(pod: Pod) -> list[pki.Issued]:
    filler = [pki.make_intermediate(f"Filler CA {k}", pod.ca.root) for k in range(48)]
    return [*pod.new_chain, *filler]


def _huge_extension(pod: Pod) -> pki.Issued:
    blob = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"),
                                      b"\x04\x83\x01\x00\x00" + b"A" * 65536)
    return pki.make_leaf([pod.host], pod.ca.inter, extra=[(blob, False)])


def _malformed(pod: Pod) -> list[pki.Issued]:
    return [pki.malformed(pki.make_leaf([pod.host], pod.ca.inter)), pod.ca.inter]


def _edge_default(pod: Pod) -> list[pki.Issued]:
    return [pod.ca.edge_default, pod.ca.edge_ca]


def _nothing_listens(pod: Pod, chain: list[pki.Issued]) -> list[Listen]:
    return []


def _behaves(behaviour: str) -> Callable[[Pod, list[pki.Issued]], list[Listen]]:
    """A staging address that serves its chain the way a broken edge would (see `tlsserver.Endpoint`)."""
    def listen(pod: Pod, chain: list[pki.Issued]) -> list[Listen]:
        return [Listen(pod.staging_ip, chain, behaviour=behaviour)]
    return listen


def _in_fault_dc(pod: Pod) -> bool:
    return pod.in_fault_dc


MISSING_INTERMEDIATE = Scenario(
    "missing-intermediate", "staging omits the intermediate for one pod and the store holds only the root",
    (("chain_trusted", "pod"), ("aliases_present", "all")), "unable to find valid certification path",
    staging=_only_the_leaf, store=no_intermediate)
UNTRUSTED_CA = Scenario(
    "untrusted-ca", "staging serves one pod a chain from a CA the store does not hold",
    TLS_FAULT, "unable to find valid certification path", staging=_unknown_ca)
HOSTNAME_MISMATCH = Scenario(
    "hostname-mismatch", "the certificate at staging for one pod names another host",
    (("chain_trusted", "pod"),), "No subject alternative DNS name matching", new_leaf=_names_another_host)
EXPIRED_LEAF = Scenario(
    "expired-leaf", "the leaf served at staging for one pod has expired",
    (("chain_trusted", "pod"),), "CertificateExpiredException", new_leaf=_expired)
SHORT_LIVED_LEAF = Scenario(
    "short-lived-leaf", "the staging leaf of one pod expires 20 days from now: after the renewal date "
    "(in 14 days), before the 30 days after it that the chain must last",
    (("chain_trusted", "pod"),), "but not on 30 days after the renewal date", new_leaf=_short_lived)
HOSTILE_NAMES = Scenario(
    "hostile-names", "certificate names hold HTML, script, terminal escapes and 10,000 characters: the "
    "staging leaf of one pod and an unrelated entry of the store. Everything passes; the report and "
    "terminal show the names as text, shortened", (), "end-entity entry 'partner-sftp'",
    new_leaf=_hostile_leaf, store=_hostile_partner)
REFUSED = Scenario(
    "refused", "nothing listens on one pod's staging IP", TLS_FAULT, "Connection refused",
    listen=_nothing_listens)
RESET = Scenario(
    "reset", "one pod's staging IP resets the connection during the handshake", TLS_FAULT, "reset",
    listen=_behaves("reset"))
SPEAKS_HTTP = Scenario(
    "speaks-http", "one pod's staging IP answers in plain HTTP", TLS_FAULT,
    "Unsupported or unrecognized SSL message", listen=_behaves("http"))
TLS10_ONLY = Scenario(
    "tls10-only", "one pod's staging IP speaks only TLS 1.0", (("chain_trusted", "pod"),), "protocol",
    listen=_behaves("tls10"))
IGNORES_SNI = Scenario(
    "ignores-sni", "one pod's staging IP ignores SNI and serves the edge's default certificate",
    TLS_FAULT, "a248.e.akamai.net", staging=_edge_default, listen=_behaves("ignore-sni"))
CHAIN_OF_50 = Scenario(
    "chain-of-50", "one pod's staging IP sends a chain of 50 certificates", (("chain_trusted", "pod"),),
    "exceeds the maximum allowed length", staging=_fifty_long)
HUGE_EXTENSION = Scenario(
    "huge-extension", "one pod's staging leaf carries a 64 KB extension", (("chain_trusted", "pod"),),
    "exceeds the maximum allowed size", new_leaf=_huge_extension)
MALFORMED_CERT = Scenario(
    "malformed-cert", "one pod's staging leaf has a negative serial number (malformed under RFC 5280) "
    "and so a signature that does not match", TLS_FAULT, "signature check failed", staging=_malformed)
SILENT_DC = Scenario(
    "silent-dc", "every staging address of one data centre accepts connections and never answers",
    (("chain_trusted", "dc-pods"), ("new_cert_staged", "dc-pods")), "TLS handshake timed out",
    affects=_in_fault_dc, listen=_behaves("silent"))
LEAF_WITHOUT_SAN = Scenario(
    "leaf-without-san", "one pod's staging leaf names its host only in the CN: Java accepts it, "
    "browsers and curl would not", (), "a web-PKI client (browser, curl, Python) would reject it",
    new_leaf=_cn_only)
