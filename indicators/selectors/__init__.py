"""Reads: one module per idea, one module per page.

- ``values``: what reads return (IndicatorValue, ReportingRates, Annotation, level names)
- ``sums``: the engine (numerators and denominators summed in the database)
- ``rollups``: district rollups, the read side
- ``completeness``: the one completeness and timeliness definition
- ``reports``, ``home``: reporting pages and the home page
- ``facility``, ``overview``, ``trend``, ``compare``, ``pws``, ``outcomes``, ``stunting``:
  one page each, building a dataclass with ``to_json()`` that views, the API and exports
  reuse.

Import the module you need (``from indicators.selectors import stunting``); this package
re-exports nothing.
"""
