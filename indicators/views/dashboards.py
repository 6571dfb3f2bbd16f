"""Dashboards: compare facilities across a learning network or area."""
