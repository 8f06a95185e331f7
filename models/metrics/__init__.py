"""Citation metrics: pure definitions of bibliometric indices (indices.py) and the read query
that feeds them stored Scholar publication counts (inputs.py)."""
