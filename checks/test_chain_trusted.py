"""Gate 2, per client and pod: the chains served at staging and production, for SNI = the production hostname, are
trusted by the client's JVM with its store."""

import pytest

from cutover.gates.chain_trusted import chain_trusted as decide


@pytest.mark.chain_trusted
def chain_trusted(pod_evidence, client_evidence, phase, cutover_run, expect_pass):
    trust = client_evidence.verdicts[pod_evidence.target.id]
    expect_pass(decide(pod_evidence, trust, client_evidence.engine_note, cutover_run.config.at, phase))
