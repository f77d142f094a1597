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

import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

#: keytool actions, in the order they must run: a delete frees the alias an import then reuses.
STORE_KINDS = ("delete", "changealias", "import")
PROVIDER = "provider"
#: "the JVM finds no path to a trusted CA": fixed by importing the data centre's bundle CAs when the store
#: lacks them (then the plan files it under those imports), otherwise by the provider serving the right chain.
TRUST_PATH = "trust-path"
#: A failure no gate derived a remedy for (a test that errored): the plan still names it, never drops it.
INVESTIGATE = "investigate"
#: Sort order: 0-2 the store's keytool steps, 3 yours, 6 the provider's, 9 the rest (divided by 3: the group).
_ORDER = {**{k: i for i, k in enumerate(STORE_KINDS)}, "network": 3, "local": 3, PROVIDER: 6, INVESTIGATE: 9}


def quote_args(args: Iterable[str]) -> str:
    """Arguments quoted for the shell the user will paste them into: POSIX sh, or cmd/PowerShell on Windows."""
    if os.name == "nt":
        import subprocess

        return subprocess.list2cmdline(list(args))
    return " ".join(shlex.quote(a) for a in args)


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

    @property
    def key(self) -> tuple[object, ...]:
        """Equal remedies share a key: the same certificate under the same alias into the same store is one
        import, whichever data centre's zip it was found in."""
        if self.kind in STORE_KINDS:
            return (self.kind, self.store, (self.alias or "").lower(), (self.dest_alias or "").lower(),
                    self.sha256 if self.kind == "import" else None)
        return (self.kind, self.text)

    @property
    def command(self) -> str | None:
        """The keytool command for a store action, to paste as one line. No -storepass: keytool prompts, so no
        password is ever in a command line, a shell history or a report. Nothing after it on the line either: a
        trailing ``# comment`` swallows the next command when several lines are pasted at once."""
        if self.kind not in STORE_KINDS or self.store is None:
            return None
        return "keytool " + quote_args(keytool_args(self))

    @property
    def zipped(self) -> tuple[str, str] | None:
        """(archive, member) when the file to import is still inside the provider's zip: a run that wrote no
        certificate files beside its report (--no-reports) can only name the member."""
        archive, inside_zip, member = (self.file or "").partition("!")
        return (archive, member) if self.kind == "import" and inside_zip else None

    @property
    def what(self) -> str:
        """The store step in words, for the line above its command."""
        if self.kind == "changealias":
            return f"rename alias {self.alias!r} to {self.dest_alias!r}"
        if self.kind == "import":
            return f"import {self.subject or 'the certificate'} under alias {self.alias!r}"
        return f"delete alias {self.alias!r}"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "store": self.store, "store_type": self.store_type,
                "alias": self.alias, "dest_alias": self.dest_alias, "sha256": self.sha256, "subject": self.subject,
                "file": self.file, "client": self.client, "command": self.command}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Action:
        """The inverse of to_json (actions travel from xdist workers as plain data)."""
        fields = {k: data.get(k) for k in ("text", "store", "store_type", "alias", "dest_alias", "sha256",
                                            "subject", "file", "client")}
        return cls(kind=str(data["kind"]), **{k: str(v) for k, v in fields.items() if v is not None})


def keytool_args(action: Action, *, store_password_env: str | None = None, file: str | None = None) -> list[str]:
    """keytool's arguments (after the program) for a store action: the one place they are built, so the command
    a person pastes and the one `prepare` runs cannot drift apart.

    Printed, there is no password option and keytool prompts for it. Every import has -noprompt: keytool asks
    before importing a certificate another alias already holds (one root under per-data-centre aliases) and, on
    Enter, adds nothing yet exits 0, leaving the store half fixed; the plan means every import it lists. (The
    store password is still asked: -noprompt only answers the yes/no questions.) `prepare` passes
    `store_password_env` (the password travels in the environment, -storepass:env). `file` replaces the action's
    file (prepare's copy of the certificate); otherwise an ``archive!member`` file is its member.
    """
    if action.kind not in STORE_KINDS or action.store is None:
        raise ValueError(f"{action.kind!r} is not a keytool action on a store")
    if file is None:
        archive, inside_zip, member = (action.file or "").partition("!")
        file = member if inside_zip else archive
    args = {
        "delete": ["-delete", "-alias", action.alias or ""],
        "changealias": ["-changealias", "-alias", action.alias or "", "-destalias", action.dest_alias or ""],
        "import": ["-importcert", "-trustcacerts", "-alias", action.alias or "", "-file", file],
    }[action.kind]
    args += ["-keystore", action.store, "-storetype", action.store_type or "PKCS12"]
    if store_password_env is not None:
        args += ["-storepass:env", store_password_env]
    if action.kind == "import" or store_password_env is not None:
        args.append("-noprompt")
    return args


def with_files(actions: Iterable[Action], files: Mapping[str, str]) -> tuple[Action, ...]:
    """The actions with each import's file replaced by the PEM written for its certificate (SHA-256 -> the path
    as printed, see cutover.outputs.certfiles): a file that exists, rather than a member of a zip."""
    return tuple(replace(a, file=files[a.sha256]) if a.kind == "import" and a.sha256 is not None
                 and a.sha256 in files else a for a in actions)


class Failed(Protocol):
    """What the plan needs of a gate test (cutover.report.Record has it)."""

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

    @property
    def fixes_text(self) -> str:
        """``aliases_present for 14 data centres and chain_trusted for us2/acme``."""
        by_gate: dict[str, list[str]] = {}
        for gate, target in self.fixes:
            by_gate.setdefault(gate, []).append(target)
        gates_of: dict[tuple[str, ...], list[str]] = {}  # gates failing on the same targets are said together
        for gate, targets in by_gate.items():
            gates_of.setdefault(tuple(targets), []).append(gate)
        parts = []
        for group, gates in gates_of.items():
            names = gates[0] if len(gates) == 1 else f"{', '.join(gates[:-1])} and {gates[-1]}"
            if len(group) <= 3:
                parts.append(f"{names} for {', '.join(group)}")
            else:
                noun = "pods" if all("/" in t for t in group) else "data centres"
                parts.append(f"{names} for {len(group)} {noun}")
        return "; ".join(parts) if any(" and " in p for p in parts) and len(parts) > 1 else " and ".join(parts)

    @property
    def sentence(self) -> str:
        """The step in one line, as the terminal and the report say it."""
        a = self.action
        if a.kind in STORE_KINDS:
            what = f"run once: {a.command}"
        elif a.kind == PROVIDER:
            what = f"ask the provider on SR {self.sr}: {a.text}" if self.sr else \
                f"ask the provider (no SR set for these pods): {a.text}"
        elif a.kind == INVESTIGATE:
            what = f"look into: {a.text}"
        else:
            what = f"on your side: {a.text}"
        return f"{what} (fixes {self.fixes_text})"

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Step:
        """A step of the ``fix_plan`` in a run's JSON evidence, as `to_json` wrote it (prepare reads it back)."""
        fixes = data.get("fixes") or []
        assert isinstance(fixes, list)
        sr = data.get("sr")
        return cls(Action.from_json(data), tuple((str(f["gate"]), str(f["target"])) for f in fixes),
                   str(sr) if sr is not None else None)

    def to_json(self) -> dict[str, object]:
        return {"owner": self.owner, "sr": self.sr, **self.action.to_json(),
                "fixes": [{"gate": g, "target": t} for g, t in self.fixes], "fixes_text": self.fixes_text,
                "sentence": self.sentence}


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


def plan_json(steps: Sequence[Step]) -> list[dict[str, object]]:
    return [{"step": i, **s.to_json()} for i, s in enumerate(steps, 1)]


def stores_of(steps: Sequence[Step]) -> list[str]:
    """The stores the plan's keytool commands change, each once: ``/path/store.jks (PKCS12)``."""
    return list(dict.fromkeys(f"{s.action.store} ({s.action.store_type or 'PKCS12'})"
                              for s in steps if s.action.command))


def keytool_note(steps: Sequence[Step]) -> str | None:
    """What the plan says once, on top, when it has keytool commands: the password is asked, not written, and
    which store the commands change. None when it has none."""
    stores = stores_of(steps)
    if not stores:
        return None
    which = f"the store {stores[0]}" if len(stores) == 1 else "the store after its -keystore: " + "; ".join(stores)
    return ("Each keytool command asks for the store password (type it; it is never part of a command) and changes "
            f"{which}. Paste each command as one line, from the folder this run was made in.")


def extract_note(action: Action) -> str | None:
    """For a run that wrote no certificate files: the file to take out of the provider's zip first, in words."""
    if action.zipped is None:
        return None
    archive, member = action.zipped
    return f"first extract {member} from {archive} into that folder (this run wrote no certificate files)"


def plan_lines(steps: Sequence[Step]) -> list[str]:
    """The plan as lines for the terminal: the keytool note, then numbered steps, each keytool command alone on
    its own line, so that it pastes as printed."""
    note = keytool_note(steps)
    several = len(stores_of(steps)) > 1
    lines = [note] if note else []
    for i, s in enumerate(steps, 1):
        a = s.action
        if a.command is None:
            lines.append(f"{i}. {s.sentence}")
            continue
        where = f" in {a.store}" if several else ""
        lines.append(f"{i}. {a.what}{where} (fixes {s.fixes_text}):")
        extract = extract_note(a)
        lines += [f"   {extract}"] if extract else []
        lines.append(f"   {a.command}")
    return lines
