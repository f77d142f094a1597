"""Gate 2, per pod: the chain served at staging, for SNI = the production hostname, is trusted by the JVM."""

import pytest

from cutover import gates


@pytest.mark.chain_trusted
def test_chain_trusted(pod_evidence, evidence, cutover_run, expect_pass):
    expect_pass(gates.chain_trusted(pod_evidence, evidence.engine_note, cutover_run.config.at))
