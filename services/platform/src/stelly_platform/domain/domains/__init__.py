"""A tenant's custom domains: DNS proof of ownership, Front Door, serving."""
