"""Gate 3, per data centre: the bundle's root and intermediate are in the truststore under their aliases."""

import pytest

from cutover.gates.aliases_present import aliases_present as decide


@pytest.mark.aliases_present
def aliases_present(datacenter, client_evidence, evidence, store_plan, expect_pass):
    bundle = evidence.bundles.get(datacenter.code)
    if bundle is None:
        aliases = "" if datacenter.root_alias and datacenter.intermediate_alias else \
            " with root_alias and intermediate_alias (the aliases its CAs are under in your store)"
        pytest.skip(f"{datacenter.code}: no bundle configured, so there is nothing to compare the aliases with; "
                    f"to prove it, set bundle = \"...\" (the provider's zip for {datacenter.code}){aliases} for it "
                    "in datacenters.toml")
    expect_pass(decide(datacenter, client_evidence.store, bundle, client_evidence.store_error, store_plan,
                       client_evidence.client, client_evidence.store_why))
