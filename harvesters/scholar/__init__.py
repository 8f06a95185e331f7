"""Google Scholar: the bounded page client, its page parsers, proxy settings, and the AcadHomepage
gs_data.json format."""
