"""Gate 4, per data centre: no server (load-balancer) certificate of the provider is pinned in the truststore."""

import pytest

from cutover import gates


@pytest.mark.no_lb_cert
def test_no_lb_cert(datacenter, cutover_run, evidence, expect_pass):
    first = datacenter is cutover_run.config.datacenters[0]  # store-wide warnings once, not per data centre
    expect_pass(gates.no_lb_cert(datacenter, cutover_run.config, evidence, warn_unrelated=first))
