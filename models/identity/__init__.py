"""Identity resolution: work and author mentions, the matching rules, the merge step that
turns them into canonical works and authors, decisions, overrides and explanations."""
