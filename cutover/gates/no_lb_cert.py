"""Gate 4, per client and data centre: no server (load-balancer) certificate of the provider is pinned in the
truststore."""

from __future__ import annotations

from pathlib import Path

from cutover.config import Config, DataCenter
from cutover.evidence import ClientEvidence, Evidence
from cutover.gates.fixplan import Action
from cutover.gates.remedies import READ_STORE, store_action
from cutover.gates.storeplan import StorePlan
from cutover.gates.storeplan import provider_reasons as _provider_reasons
from cutover.gates.verdict import GateVerdict, failed


def no_lb_cert(dc: DataCenter, config: Config, evidence: Evidence, client: ClientEvidence | None = None,
               warn_unrelated: bool = True, plan: StorePlan | None = None) -> GateVerdict:
    """`client`: whose store (default: the run's first client); `warn_unrelated`: list end-entity entries
    unrelated to the provider; they are the store's, not this data centre's, so the checks ask it of one
    data centre only rather than repeat it for all fourteen. `plan`: the whole store's steps
    (`cutover.gates.storeplan`), whose delete of a pinned leaf this gate quotes."""
    client = client or evidence.first
    store = client.store
    if store is None:
        return failed(f"the truststore could not be read by the judge: {client.store_error}",
                       Action("local", READ_STORE))
    all_pods = list(evidence.pods.values())
    mine = [p for p in all_pods if p.target.dc == dc.code]
    pinned: list[str] = []
    remedy: list[Action] = []
    warnings: list[str] = []
    files: list[Path] = []
    for e in store.trusted:
        assert e.cert is not None
        if e.cert.is_ca:
            continue
        reasons = _provider_reasons(e.cert, dc, evidence.bundles.get(dc.code), mine)
        # A union of files: the leaf is deleted from the file that holds it, which the message names.
        held = store.file_of(e)
        where = f" in {held}" if store.union else ""
        if reasons:
            pinned.append(f"alias {e.alias!r}{where} ({e.cert.short}) is a server certificate of the provider: "
                          f"{'; '.join(dict.fromkeys(reasons))}.")
            remedy += [a for a in (plan.on(e.alias) if plan else ()) if a.kind == "delete" and a.store == str(held)] \
                or [store_action(store.part(held), "delete", e.alias, e.cert)]
            files.append(held)
            continue
        others = [d for d in config.datacenters if d.code != dc.code
                  and _provider_reasons(e.cert, d, evidence.bundles.get(d.code),
                                        [p for p in all_pods if p.target.dc == d.code])]
        if not others and warn_unrelated:
            warnings.append(f"end-entity entry {e.alias!r}{where} ({e.cert.name}) is not the provider's; left alone, "
                            "since stores are shared across integrations, but a pinned leaf breaks when it is renewed.")
    if pinned:
        return failed(
            f"{dc.code}: " + " ".join(pinned) + " A pinned load-balancer certificate stops matching the day the "
            "provider renews it; trust comes from the root and intermediate. Delete it from "
            f"{' and '.join(map(str, dict.fromkeys(files))) if store.union else 'the truststore'}.",
            *remedy, warnings=tuple(warnings),
        )
    return GateVerdict(True, f"{dc.code}: no server certificate of the provider in the truststore "
                         f"({len(store.trusted)} trusted entries checked)", warnings=tuple(warnings))
