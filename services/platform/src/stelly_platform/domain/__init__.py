"""The console API's areas: auth, tenants, domains."""
