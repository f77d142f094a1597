"""The gate modules: one per gate, a few lines of assert each, collected by the cutover plugin.

This folder is the package ``cutover.checks`` (setuptools' ``package-dir`` in pyproject.toml), so the one
copy of each gate module serves a clone and an installed cutover alike; the plugin collects it from
wherever Python finds it.
"""
