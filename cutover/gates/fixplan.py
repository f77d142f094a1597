"""The fix plan: every distinct remedy of a run once, in the order to apply it, naming the failures it fixes.

When one store serves fourteen data centres, one missing intermediate fails aliases_present fourteen
times with the same keytool command; a person must run it once, and know that it also fixes the pod
whose chain the JVM rejected. So the gates attach structured `Action`s to their verdicts (a keytool
step on a store, or a request to the provider, or a check on your side), and `plan` merges equal
actions across the run's failures: store steps first (deletes before the imports that may reuse an
alias), then what is yours to check, then what to ask the provider, grouped per service request.

Store actions are data, not just text (kind, alias, certificate SHA-256 and file, store): a tool that
prepares a store from the plan reads those fields, never parses the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from cutover.stores import keytool

#: keytool actions, in the order they must run: a delete frees the alias an import then reuses.
STORE_KINDS = keytool.KINDS
PROVIDER = "provider"
#: "the JVM finds no path to a trusted CA": fixed by importing the data centre's bundle CAs when the store
#: lacks them (then the plan files it under those imports), otherwise by the provider serving the right chain.
TRUST_PATH = "trust-path"
#: A failure no gate derived a remedy for (a test that errored): the plan still names it, never drops it.
INVESTIGATE = "investigate"
#: Sort order: 0-2 the store's keytool steps, 3 yours, 6 the provider's, 9 the rest (divided by 3: the group).
_ORDER = {**{k: i for i, k in enumerate(STORE_KINDS)}, "network": 3, "local": 3, PROVIDER: 6, INVESTIGATE: 9}


@dataclass(frozen=True)
class Action:
    """One remedy as a gate decided it.

    Attributes:
        kind: ``delete``, ``changealias`` or ``import`` (keytool on a store); ``network`` or ``local`` (yours to
            check); ``provider`` (ask on the service request); ``trust-path`` (see TRUST_PATH).
        text: for the non-store kinds, what to do, worded without naming a pod so that equal remedies merge.
        store: the store a keytool action changes; store_type its type as keytool names it.
        alias: the alias deleted, imported, or renamed; dest_alias the new name of a changealias.
        sha256: the certificate imported (or the entry deleted), upper-case hex.
        subject: that certificate's subject, for a person.
        file: the PEM to import; ``archive!member`` when it sits inside the provider's zip.
        client: the client whose store this is; None when the run has one client.
        password_env: the variable keytool reads the store's password from (``-storepass:env``): the one the
            gates read, so that a whole plan runs on one password typed once; None: keytool asks for it.
    """

    kind: str
    text: str = ""
    store: str | None = None
    store_type: str | None = None
    alias: str | None = None
    dest_alias: str | None = None
    sha256: str | None = None
    subject: str | None = None
    file: str | None = None
    client: str | None = None
    password_env: str | None = None

    @property
    def key(self) -> tuple[object, ...]:
        """Equal remedies share a key: the same certificate under the same alias into the same store is one
        import, whichever data centre's zip it was found in."""
        if self.kind in STORE_KINDS:
            return (self.kind, self.store, (self.alias or "").lower(), (self.dest_alias or "").lower(),
                    self.sha256 if self.kind == "import" else None)
        return (self.kind, self.text)

    @property
    def zipped(self) -> tuple[str, str] | None:
        """(archive, member) when the file to import is still inside the provider's zip: a run that wrote no
        certificate files beside its report (--no-reports) can only name the member."""
        archive, inside_zip, member = (self.file or "").partition("!")
        return (archive, member) if self.kind == "import" and inside_zip else None

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "store": self.store, "store_type": self.store_type,
                "alias": self.alias, "dest_alias": self.dest_alias, "sha256": self.sha256, "subject": self.subject,
                "file": self.file, "client": self.client, "password_env": self.password_env}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Action:
        """The inverse of to_json (actions travel from xdist workers as plain data)."""
        fields = {k: data.get(k) for k in ("text", "store", "store_type", "alias", "dest_alias", "sha256",
                                            "subject", "file", "client", "password_env")}
        return cls(kind=str(data["kind"]), **{k: str(v) for k, v in fields.items() if v is not None})


def keytool_args(action: Action, *, store_password_env: str | None = None, file: str | None = None) -> list[str]:
    """keytool's arguments for a store action (`cutover.stores.keytool.args`, the one builder): the password from
    `store_password_env`, else the action's own variable; `prepare` passes `file` (its copy of the certificate);
    otherwise an ``archive!member`` file is its member, as a person extracts it."""
    if action.kind not in STORE_KINDS or action.store is None:
        raise ValueError(f"{action.kind!r} is not a keytool action on a store")
    if file is None:
        archive, inside_zip, member = (action.file or "").partition("!")
        file = member if inside_zip else archive
    return keytool.args(action.kind, store=action.store, alias=action.alias or "", store_type=action.store_type,
                        dest_alias=action.dest_alias, file=file,
                        password_env=store_password_env or action.password_env)


def with_files(actions: Iterable[Action], files: Mapping[str, str]) -> tuple[Action, ...]:
    """The actions with each import's file replaced by the PEM written for its certificate (SHA-256 -> the path
    as printed, see cutover.outputs.certfiles): a file that exists, rather than a member of a zip."""
    return tuple(replace(a, file=files[a.sha256]) if a.kind == "import" and a.sha256 is not None
                 and a.sha256 in files else a for a in actions)


class Failed(Protocol):
    """What the plan needs of a gate test (`cutover.gates.outcomes.Record` has it)."""

    gate: str
    target: str
    outcome: str
    actions: Sequence[Action]

    @property
    def label(self) -> str: ...

    @property
    def dc(self) -> str: ...

    @property
    def sr(self) -> str | None: ...


@dataclass(frozen=True)
class Step:
    """One thing to do, once.

    Attributes:
        action: what to do.
        fixes: the (gate, test id) failures it fixes, in the order the run met them.
        sr: for a provider step, the service request to ask on (None: its pods have no SR).
    """

    action: Action
    fixes: tuple[tuple[str, str], ...]
    sr: str | None = None

    @property
    def owner(self) -> str:
        return "provider" if self.action.kind == PROVIDER else "you"

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Step:
        """A step of the ``fix_plan`` in a run's JSON evidence, as `to_json` wrote it (prepare reads it back)."""
        fixes = data.get("fixes") or []
        assert isinstance(fixes, list)
        sr = data.get("sr")
        return cls(Action.from_json(data), tuple((str(f["gate"]), str(f["target"])) for f in fixes),
                   str(sr) if sr is not None else None)


def plan(records: Iterable[Failed]) -> tuple[Step, ...]:
    """Every distinct action of the failed tests once, ordered, each with the failures it fixes.

    A run with no failure has an empty plan. Every failed test is named by at least one step.
    """
    steps: dict[tuple[object, ...], tuple[Action, list[tuple[str, str]], str | None]] = {}
    path_failures: list[tuple[Failed, Action]] = []
    store_fixes_of: dict[tuple[str, str | None], list[tuple[object, ...]]] = {}  # (dc, client) -> store step keys

    def add(action: Action, fix: tuple[str, str], sr: str | None) -> tuple[object, ...]:
        key = (*action.key, sr if action.kind == PROVIDER else None)
        if key not in steps:
            steps[key] = (action, [], sr if action.kind == PROVIDER else None)
        if fix not in steps[key][1]:
            steps[key][1].append(fix)
        return key

    for r in records:
        if r.outcome != "failed":
            continue
        fix = (r.gate, r.label)
        actions = list(r.actions) or [Action(INVESTIGATE, "the test failed without a verdict (an error in the "
                                                          "suite or its set-up); read its row in the report")]
        for a in actions:
            if a.kind == TRUST_PATH:
                path_failures.append((r, a))
                continue
            key = add(a, fix, r.sr)
            if a.kind in ("import", "changealias"):
                store_fixes_of.setdefault((r.dc, a.client), []).append(key)
    for r, a in path_failures:
        # The JVM found no path to a trusted CA: if this data centre's store lacks the bundle's CAs, importing
        # them is the fix (as the JVM treats every store entry as an anchor); otherwise the chain is the provider's.
        keys = store_fixes_of.get((r.dc, a.client), [])
        for key in keys:
            if (r.gate, r.label) not in steps[key][1]:
                steps[key][1].append((r.gate, r.label))
        if not keys:
            add(Action(PROVIDER, a.text), (r.gate, r.label), r.sr)
    values = list(steps.values())
    first_of_sr: dict[str | None, int] = {}
    for i, (_, _, sr) in enumerate(values):
        first_of_sr.setdefault(sr, i)
    # Store steps grouped per store, then yours, then the provider's grouped per SR (those without one last).
    ordered = sorted(enumerate(values), key=lambda item: (
        _ORDER.get(item[1][0].kind, 9) // 3, item[1][0].store or "", _ORDER.get(item[1][0].kind, 9),
        item[1][2] is None, first_of_sr[item[1][2]], item[0]))
    return tuple(Step(action, tuple(fixes), sr) for _, (action, fixes, sr) in ordered)
