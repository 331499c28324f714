"""Stelly media: safe image uploads and the worker that renders their WebP variants."""
