"""The run's closing: what its end says, decided once from the complete records, above the gates.

`cutover.closing.record.close` makes the closing record (the run's verdict, the fix plan, each SR's part,
what changed since the last run, the timeline's series, what was judged); the outputs only render it.
"""
