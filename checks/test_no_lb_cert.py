"""Gate 4, per data centre: no server (load-balancer) certificate of the provider is pinned in the truststore."""

import pytest

from cutover.gates.no_lb_cert import no_lb_cert as decide


@pytest.mark.no_lb_cert
def no_lb_cert(datacenter, client_evidence, cutover_run, evidence, store_plan, expect_pass):
    client = client_evidence.client  # store-wide warnings once per store, not once per data centre
    first = datacenter.code == next(iter(client.datacenters), None)
    expect_pass(decide(datacenter, cutover_run.config, evidence, client_evidence, warn_unrelated=first,
                       plan=store_plan))
