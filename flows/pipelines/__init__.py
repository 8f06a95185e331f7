"""Plain harvest-then-load functions, one module per source, plus the harvest-run bookkeeping they
share; no Prefect here."""
