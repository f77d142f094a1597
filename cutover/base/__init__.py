"""The pieces every stage uses: certificate info, text made safe to print, atomic writes, instants, digests,
cutover's own paths and exit codes.

The bottom of the flow (docs/contributing.md): a module here imports nothing else of cutover, so config, net,
stores, judge, history, gates, closing, outputs, the plugin and the CLI all import it downward.
"""
