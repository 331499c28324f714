"""``make chaos``: faults under load against the local stack with 2 replicas per service."""
