"""The ``scholarflow`` command line: the parser (``main``), one module per command group, and the
offline demo."""
