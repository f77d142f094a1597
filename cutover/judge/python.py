"""The approximate verdict when no JVM can be found: pyca/cryptography's web-PKI verifier.

It is stricter than Java on real cases (CN fallback, anchor dates, SHA-1 under a private root, name
constraints on anchors, missing AKI), so its verdict is always labelled approximate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography.x509 import verification as v

from cutover.judge.java import JavaVerdict
from cutover.stores.certs import CertInfo

APPROXIMATE = "approximate: no JVM"


def verify(
    target_id: str,
    ip: str,
    chain: Sequence[CertInfo],
    hostname: str,
    anchors: Sequence[CertInfo],
    at: dt.datetime | None = None,
) -> JavaVerdict:
    """Judge `chain` for `hostname` against `anchors` as a strict web-PKI client would."""
    if not chain:
        return JavaVerdict(target_id, ip, False, "no chain was presented", engine="python")
    refused = [c for c in chain if c.parsed_by != "cryptography"]
    if refused:  # handing it to cryptography would warn, and a future release refuses it outright
        return JavaVerdict(target_id, ip, False, f"cryptography cannot judge this chain: {refused[0].name} is "
                           f"malformed (serial {refused[0].serial}); only a JVM can say whether Java accepts it",
                           engine="python")
    anchors = [a for a in anchors if a.parsed_by == "cryptography"]
    if not anchors:
        return JavaVerdict(target_id, ip, False, "the truststore holds no trusted certificate", engine="python")
    try:
        verifier = (
            v.PolicyBuilder()
            .store(v.Store([a.to_cert() for a in anchors]))
            .time(at or dt.datetime.now(dt.UTC))
            .build_server_verifier(v.DNSName(hostname))
        )
        verifier.verify(chain[0].to_cert(), [c.to_cert() for c in chain[1:]])
    except v.VerificationError as e:
        return JavaVerdict(target_id, ip, False, f"cryptography: {e}", engine="python")
    except ValueError as e:
        return JavaVerdict(target_id, ip, False, f"cryptography cannot judge this chain: {e}", engine="python")
    return JavaVerdict(target_id, ip, True, f"trusted by cryptography's web-PKI verifier for {hostname}",
                       engine="python")
