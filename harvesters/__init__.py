"""Source clients and parsers, one package per source (arxiv, acl, scholar, github) over a shared
HTTP layer (``harvesters.http``); they yield typed records (``harvesters.records``) and never touch
the database."""
