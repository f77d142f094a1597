"""Gate 5, per pod: the certificate served at staging is the new one, not production's (and the bundle's); or the
pod is cut over: production serves it."""

import pytest

from cutover.gates.new_cert_staged import new_cert_staged as decide


@pytest.mark.new_cert_staged
def new_cert_staged(pod_evidence, evidence, phase, expect_pass):
    bundle = evidence.bundles.get(pod_evidence.target.dc)
    expect_pass(decide(pod_evidence, bundle, pod_evidence.target.warn_days, phase=phase))
