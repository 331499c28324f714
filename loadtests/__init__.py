"""Load tests that check the scale rules in ``infra/scale.json`` (``make loadtest``)."""
