"""The menu service's tenant migrations (component ``menu``)."""
