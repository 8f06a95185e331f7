"""Semantic Scholar Graph API: citation counts and cross-identifiers of known works, in batches."""
