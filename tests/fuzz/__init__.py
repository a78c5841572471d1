"""Fuzzing the three apps with Schemathesis, the spec as the oracle (`make fuzz`)."""
