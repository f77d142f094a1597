"""Nothing lives here on purpose: cutover's pytest glue is a plugin (cutover/plugin.py and the modules it
loads), so that a gate run works the same whichever folder pytest takes for its rootdir."""
