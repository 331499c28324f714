"""OpenTelemetry for every Stelly process: setup, propagation across hops."""
