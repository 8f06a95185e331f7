"""GitHub's tables (repositories, star snapshots), their write path and read queries."""
