"""Unit tests of the gate decisions and their remedies, on hand-built evidence: no network, no subprocess."""
