"""arXiv: the search API (Atom feed, tracked-author queries, ids) and the OAI-PMH bulk interface."""
