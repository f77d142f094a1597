"""The plugin's leaf: the stash key of a gate's verdict and the warning class, which every glue module imports.

Nothing here imports the rest of the plugin, so the run object (`cutover.plugin.run`), its configure step
and the fixtures each import this module downward, never each other in a circle. The run object's own key
(`cutover.plugin.run.RUN`) is defined with the class it holds.
"""

from __future__ import annotations

import pytest

from cutover.gates.verdict import GateVerdict

#: A gate test's verdict, stashed on its item by `expect_pass` and read when its report is made.
VERDICT = pytest.StashKey[GateVerdict]()


class CutoverWarning(UserWarning):
    """Something a person should look at that does not fail a gate."""
