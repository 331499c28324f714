"""Platform admins: login and the token guard."""
