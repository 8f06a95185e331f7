"""GitHub: the REST/GraphQL client (rate budget, ETags) and the repository records it yields."""
