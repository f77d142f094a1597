"""The exit codes of cutover's commands, in one place: the docs are generated from these tables.

A gate run (``pytest`` with cutover's plugin) exits with pytest's own codes (`pytest.ExitCode`, 0 to 5), read
for a cutover run here, and one of cutover's own, `NOT_PROVEN` (6): a run that failed nothing but skipped a gate
proves nothing, and a CI must not show it green. The commands of ``python -m cutover`` (cutover.cli) exit with their
own small set. docs/generate.py writes docs/exit-codes.md and the README's table from this module, and
tests/test_docs.py fails when they differ, so a code changes here first.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What the commands of ``python -m cutover`` return (their tables below say what each means per command).
OK = 0
#: The thing looked at is unusable, or not ready (a bundle that does not link, a copy the gates still fail).
NOT_OK = 1
#: Bad input or options: nothing was done.
BAD_INPUT = 2


@dataclass(frozen=True)
class ExitCode:
    """One exit code of one command.

    Attributes:
        code: the process's exit status.
        name: a short name for it (pytest's `ExitCode` member for a gate run).
        meaning: what it means, in a sentence for the person reading a CI log.
    """

    code: int
    name: str
    meaning: str


#: A gate run that failed nothing but skipped a gate test (a data centre without a bundle): not proven. pytest
#: would exit 0; cutover's plugin sets this in its sessionfinish, so that a CI job does not go green on it.
NOT_PROVEN = 6

#: ``pytest`` running the gates: pytest's codes (`pytest.ExitCode`, by name), read for a cutover run, then
#: cutover's own. Plain numbers, so that every ``cutover`` command need not import pytest to know its own codes
#: (tests/test_docs.py checks pytest's against pytest's).
GATE_RUN: tuple[ExitCode, ...] = (
    ExitCode(0, "OK", "every selected gate passed: ready for cutover"),
    ExitCode(1, "TESTS_FAILED", "at least one gate failed (or errored): not ready"),
    ExitCode(2, "INTERRUPTED",
             "the run was interrupted (Ctrl-C or SIGTERM); the report holds what was gathered"),
    ExitCode(3, "INTERNAL_ERROR", "internal error (a bug of ours or of a plugin)"),
    ExitCode(4, "USAGE_ERROR",
             "usage error: bad option, datacenters.toml, truststore, bundle or password; nothing ran"),
    ExitCode(5, "NO_TESTS_COLLECTED",
             "no gate was selected (for instance `--dc` and `-k` excluded everything)"),
    ExitCode(NOT_PROVEN, "NOT_PROVEN",
             "not proven: nothing failed but a gate test was skipped; the terminal and report say what to add"),
)

#: ``python -m cutover truststore PATH``: list a store as Java sees it.
TRUSTSTORE: tuple[ExitCode, ...] = (
    ExitCode(0, "OK", "the store was read and listed"),
    ExitCode(2, "BAD_INPUT", "the store cannot be read (missing, wrong password, not a keystore) or a bad option"),
)

#: ``python -m cutover bundle PATH``: classify a provider's bundle.
BUNDLE: tuple[ExitCode, ...] = (
    ExitCode(0, "OK", "the bundle was read and its chain links (root -> intermediate(s) -> server(s))"),
    ExitCode(1, "BUNDLE_UNUSABLE",
             "the bundle holds no intermediate, several roots, or its chain does not link: the provider's to fix"),
    ExitCode(2, "BAD_INPUT", "the bundle does not exist, cannot be read or holds no certificate at all (not a "
             "bundle: a PDF, the wrong download), or a bad option"),
)

#: ``python -m cutover prepare``: a fixed copy of the store, proven by the gates.
PREPARE: tuple[ExitCode, ...] = (
    ExitCode(0, "READY", "every gate passes with the copy: hand it over"),
    ExitCode(1, "NOT_READY", "gates still fail with the copy, which a change of the store cannot fix; "
             "the copy is kept as `NAME.NOT-READY.jks`"),
    ExitCode(2, "BAD_INPUT", "nothing was prepared: a bad option, datacenters.toml, store or password, `--out` "
             "exists without `--force`, keytool failed, the gates did not run, or the original changed meanwhile"),
)

#: ``cutover init URL_OR_HOST...``: a first datacenters.toml.
INIT: tuple[ExitCode, ...] = (
    ExitCode(0, "WRITTEN", "the file was written (and, with `--truststore`, loads as written); a pod that did not "
             "resolve is a warning on that pod, not an error"),
    ExitCode(2, "BAD_INPUT", "nothing was written: a URL whose scheme is a typo of https, a pod that is not a hostname "
             "or URL, the same pod twice, a `--nameserver` that is not IP[:PORT], `--bundles` not a folder, a store or "
             "password that cannot be read, no resolver to ask, or `--out` exists"),
)

#: Every command, as a person types it, and its table.
COMMANDS: dict[str, tuple[ExitCode, ...]] = {
    "pytest (the gates)": GATE_RUN,
    "python -m cutover truststore": TRUSTSTORE,
    "python -m cutover bundle": BUNDLE,
    "python -m cutover prepare": PREPARE,
    "cutover init": INIT,
}
