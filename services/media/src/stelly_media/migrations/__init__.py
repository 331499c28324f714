"""Tenant migrations of the media service (the ``images`` table)."""
