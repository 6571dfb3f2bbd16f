"""Monthly reporting: entry form, workflow, history, completeness, Excel round-trip."""
