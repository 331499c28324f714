"""Stelly platform service: the operator's console API (SPEC §10)."""
