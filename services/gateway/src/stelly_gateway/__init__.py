"""The local edge: plays Azure Front Door in front of the Stelly services."""
