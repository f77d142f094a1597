"""History, an input: the earlier runs of a datacenters file, read before any gate runs.

`phases` (the phase vocabulary), `layout` (the evidence file's schema name and layout), `states` (the
``lifecycle`` section, writer and reader), `inputs` (the ``inputs`` section, writer and reader) and `runs`
(finding and reading earlier runs). Comparing this run with the last is the closing's (`cutover.closing`).
"""
