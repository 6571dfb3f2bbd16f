"""Indicator pages: monthly reporting (reports.py) and dashboards (dashboards.py)."""
