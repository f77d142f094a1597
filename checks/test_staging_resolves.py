"""Gate 1, per pod: the staging twin of the pod's production hostname resolves to staging IPs."""

import pytest

from cutover.gates.staging_resolves import staging_resolves as decide


@pytest.mark.staging_resolves
def staging_resolves(pod_evidence, cutover_run, expect_pass):
    cfg = cutover_run.config
    expect_pass(decide(pod_evidence, cfg.allow_private_ips, cfg.nameservers))
