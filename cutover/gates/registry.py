"""The gates, each once: the one table the plugin, the checks, the report and the fix plan read.

Adding a gate is an entry here, its decision module in this package (``cutover/gates/<name>.py``), and
its checks module (``checks/test_<name>.py``, its test function named ``<name>``); markers, parametrization,
the matrix column and the report's evidence view all follow from the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What a row of the report shows of a pod's evidence (see `cutover.outputs.html.pod_html`).
View = Literal["dns", "trust", "leaves", "staging chains", "production chains"]


@dataclass(frozen=True)
class Gate:
    """One gate.

    Attributes:
        name: its marker, its checks module (``test_<name>.py``) and test (``cutover::<name>[...]``), the
            ``gate`` of its JSON records and its column in the matrix.
        number: as checks/ and the README number it: 1-4 the provider's list, 5 the new certificate.
        per: what it is parametrized over: each ``pod``, or each ``datacenter`` (the store gates).
        per_client: judged once per client (its store or its JVM's verdict), not once per network observation.
        marker: the marker's help text (``pytest --markers``).
        shows: what its row of the report shows of the pod's evidence; empty for a data centre gate.
    """

    name: str
    number: int
    per: Literal["pod", "datacenter"]
    per_client: bool
    marker: str
    shows: tuple[View, ...] = ()


#: In the matrix's order: the pod gates, then the store gates.
GATES: tuple[Gate, ...] = (
    Gate("staging_resolves", 1, "pod", False, "gate 1, the staging twin of a pod's hostname resolves (per pod)",
         ("dns",)),
    Gate("chain_trusted", 2, "pod", True,
         "gate 2, the chain served at staging is trusted by the client's JVM (per client and pod)",
         ("trust", "staging chains", "production chains")),
    Gate("new_cert_staged", 5, "pod", False,
         "gate 5, the certificate served at staging is the new one: not production's, and the bundle's (per pod)",
         ("leaves", "production chains")),
    Gate("aliases_present", 3, "datacenter", True,
         "gate 3, the bundle's root and intermediate are in the truststore under their aliases (per client and "
         "data centre)"),
    Gate("no_lb_cert", 4, "datacenter", True,
         "gate 4, no server certificate of the provider is pinned in the truststore (per client and data centre)"),
)

NAMES: tuple[str, ...] = tuple(g.name for g in GATES)
POD_GATES: tuple[str, ...] = tuple(g.name for g in GATES if g.per == "pod")
CLIENT_GATES: tuple[str, ...] = tuple(g.name for g in GATES if g.per_client)
BY_NAME: dict[str, Gate] = {g.name: g for g in GATES}
