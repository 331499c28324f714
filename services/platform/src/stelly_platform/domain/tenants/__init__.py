"""Tenants as the operator sees them: list with usage, create, suspend, resume."""
