"""Writes: ``reports`` (workflow, upsert), ``notifications``, ``rollups`` (write side of
the district totals) and ``imports`` (format-independent plan → preview → apply).

Import the module you need; this package re-exports nothing.
"""
