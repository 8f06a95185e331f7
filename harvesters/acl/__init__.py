"""ACL Anthology: syncing the data files, parsing the collection XML, and rendering its markup to
text."""
