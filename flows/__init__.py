"""Where the pieces are wired: plain pipelines (``flows.pipelines``), the Prefect layer
(``flows.prefect``) and the command line (``flows.cli``); the only package that imports both
harvesters and models."""
