"""Faults in the client's truststore (`Scenario.store`): store-wide, so they fail a gate for every data
centre (``all``) or for the faulted one's bundle (``dc``)."""

from __future__ import annotations

from cutover.sandbox import pki
from cutover.sandbox.scenario import INTERMEDIATE_ALIAS, Scenario, StoreDraft, dc_alias


def no_intermediate(draft: StoreDraft) -> None:
    """The store holds the root only: what breaks when a server omits the intermediate."""
    draft.intermediate = None


def _last_years_intermediate(draft: StoreDraft) -> None:
    stale = pki.make_intermediate("Sandbox TLS Issuing CA G2 2026", draft.ca.root,
                                  pki.NOW - 400 * pki.DAY, pki.NOW - 30 * pki.DAY)
    draft.intermediate = (INTERMEDIATE_ALIAS, stale)


def _intermediate_by_hand(draft: StoreDraft) -> None:
    draft.intermediate = ("issuing-ca-imported-by-hand", draft.ca.inter)


def _bundle_leaf_pinned(draft: StoreDraft) -> None:
    draft.extra.append((f"{draft.fault.dc}-lb-cert", draft.fault.leaf))


def _production_leaf_pinned(draft: StoreDraft) -> None:
    draft.extra.append((f"{draft.fault.dc}-prod-lb", draft.fault.old))


def _shared_store(draft: StoreDraft) -> None:
    """One root under every data centre's own alias but the faulted one's (deleted), an intermediate under each:
    the store that made the old plan take a neighbour's alias, round after round."""
    draft.intermediate = None
    for dc in draft.datacenters:
        if dc != draft.fault.dc:
            draft.extra.append((dc_alias(dc, "root"), draft.ca.root))
        draft.extra.append((dc_alias(dc, "intermediate"), draft.ca.inter))


MISSING_INTERMEDIATE_ALIAS = Scenario(
    "missing-intermediate-alias", "the store lacks the intermediate CA's alias",
    (("aliases_present", "all"),), f"alias '{INTERMEDIATE_ALIAS}' is missing", store=no_intermediate)
STALE_INTERMEDIATE = Scenario(
    "stale-intermediate", "the intermediate alias holds last year's intermediate",
    (("aliases_present", "all"),), "holds a different certificate", store=_last_years_intermediate)
INTERMEDIATE_OTHER_ALIAS = Scenario(
    "intermediate-other-alias", "the bundle's intermediate is in the store under another alias",
    (("aliases_present", "all"),), "under alias 'issuing-ca-imported-by-hand'", store=_intermediate_by_hand)
PINNED_LEAF = Scenario(
    "pinned-leaf", "the provider's server certificate (from the bundle) was imported into the store",
    (("no_lb_cert", "dc"),), "server certificate of the us2 bundle", store=_bundle_leaf_pinned)
PINNED_PRODUCTION_LEAF = Scenario(
    "pinned-production-leaf", "the leaf served at production for one pod was imported into the store",
    (("no_lb_cert", "dc"),), "leaf served at production", store=_production_leaf_pinned)
SHARED_STORE = Scenario(
    "shared-store", "one store shared by the data centres, each naming its own aliases; the us2 root's alias deleted",
    (("aliases_present", "dc"),), "Import it under 'oracle-us2-root' too", dc_aliases=True, store=_shared_store)
