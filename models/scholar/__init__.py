"""Google Scholar's tables (profiles, publications, dated observations) and their write path."""
