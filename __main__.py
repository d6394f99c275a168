"""The reference platform program (composed from typed stack config; see components/)."""
