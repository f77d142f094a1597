"""The gates: their table (`cutover.gates.registry`), one decision module each, and what they share.

``registry`` names every gate once; ``staging_resolves``, ``chain_trusted``, ``new_cert_staged``,
``aliases_present`` and ``no_lb_cert`` each hold the decision of the gate they are named after, on
gathered evidence; ``verdict`` is what a decision returns; ``remedies`` routes the failure kinds the
evidence carries to fix-plan actions and hints; ``lifecycle`` decides a pod's phase and ``fixplan``
merges the actions of a run. Kept apart from pytest so a decision and its message can be read, and
tested, in one place. Nothing is imported here, so reading the registry costs no evidence.
"""
