"""Locust's ``contrib`` import paths, so ported tasks files keep their import lines."""
