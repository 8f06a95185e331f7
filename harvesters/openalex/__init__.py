"""OpenAlex: citation counts, citations per year and cross-identifiers of known works."""
