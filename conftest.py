"""Nothing lives here on purpose: cutover's pytest glue is a plugin (cutover/plugin/, the ``pytest11`` entry
point, and the run object it registers per config), so that a gate run works the same whichever folder pytest
takes for its rootdir."""
