"""pytest glue for reports written atomically: pytest-html and junitxml write under a temporary name.

Both plugins open their final path and write into it at the end of the session, so a run killed
meanwhile would leave half a report under the name a person or a dashboard reads. `stage` points
them at a temporary name in the same folder (before their own ``pytest_configure`` reads the path);
`publish` renames each finished file and makes every terminal line that names it say the final name.
The first SIGTERM ends the run like Ctrl-C (cutover.plugin.interrupt), so its reports are still written,
saying it was interrupted; a second signal, or SIGKILL, kills at once and leaves no file under a final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cutover.base import atomic

#: The pytest options that name a report file, and the attributes under which the plugins that
#: write them (pytest-html's report object, junitxml's LogXML) keep the path they print.
OPTIONS = ("htmlpath", "xmlpath")
PRINTED_AS = ("_report_path", "logfile")


def stage(config: pytest.Config) -> dict[str, tuple[Path, Path]]:
    """Redirect the report options to temporary names; return option -> (temporary, final) path."""
    staged: dict[str, tuple[Path, Path]] = {}
    for option in OPTIONS:
        given = getattr(config.option, option, None)
        if given:
            final = Path.cwd() / Path(os.path.expandvars(given)).expanduser()  # as both plugins read it
            final.parent.mkdir(parents=True, exist_ok=True)
            atomic.sweep(final.parent)  # what killed runs left behind
            staged[option] = (atomic.partial_name(final), final)
            setattr(config.option, option, str(staged[option][0]))
    return staged


def publish(config: pytest.Config, staged: dict[str, tuple[Path, Path]]) -> None:
    """Give every finished report its final name; point the options and the plugins' printed paths there."""
    moved: dict[Path, Path] = {}
    for option, (partial, final) in staged.items():
        if atomic.publish(partial, final):
            moved[partial] = final
        setattr(config.option, option, str(final))
    for plugin in config.pluginmanager.get_plugins():
        for attr in PRINTED_AS:
            value = getattr(plugin, attr, None)
            if isinstance(value, str | Path) and Path(value) in moved:
                setattr(plugin, attr, type(value)(moved[Path(value)]))
    staged.clear()


def discard(staged: dict[str, tuple[Path, Path]]) -> None:
    """Remove the temporary files of reports that may not be complete; their final names stay absent."""
    for partial, _ in staged.values():
        partial.unlink(missing_ok=True)
    staged.clear()
