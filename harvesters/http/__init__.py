"""The shared HTTP layer every harvester uses: client with timeouts and retries, politeness
budgets, and record/replay of exchanges."""
