"""Gate 2, per client and pod: the chains served at staging and production, for SNI = the production hostname, are
trusted by the client's JVM with its store."""

import pytest

from cutover.gates.chain_trusted import chain_trusted as decide


@pytest.mark.chain_trusted
def chain_trusted(pod_evidence, client_evidence, phase, cutover_run, store_plan, expect_pass):
    trust = client_evidence.verdicts[pod_evidence.target.id]
    dc = next(d for d in cutover_run.config.datacenters if d.code == pod_evidence.target.dc)
    store_fix = store_plan.on(dc.root_alias, dc.intermediate_alias) if store_plan is not None else ()
    expect_pass(decide(pod_evidence, trust, client_evidence.engine_note, cutover_run.config.at, phase, store_fix,
                       client_evidence.client.java_options))
