"""``python -m flows.prefect.setup``: create what scale-out needs on the Prefect server.

One global concurrency limit per source (``source-arxiv``... and ``source-citations``; one
slot each), so two runs of one source never harvest at once whichever worker picks them up:
with one slot, the politeness budget of the one process holding it (harvesters/http) is the
source's politeness across all workers. And the ``process`` work
pool the deployments of ``prefect.yaml`` name. Safe to run again: what exists is kept.
Equivalent CLI: ``prefect gcl create source-arxiv --limit 1`` (per source) and
``prefect work-pool create scholarflow --type process``.
"""

from __future__ import annotations

import argparse
import logging

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

from flows.prefect.common import source_limit_name
from flows.prefect.deployments import LIMITED_SOURCES

logger = logging.getLogger(__name__)
DEFAULT_POOL = "scholarflow"


def setup(pool: str = DEFAULT_POOL, slots: int = 1) -> list[str]:
    """Create the per-source limits (``slots`` each) and the process work pool ``pool`` on
    the configured Prefect API; returns what was created (existing objects are kept)."""
    created = []
    with get_client(sync_client=True) as client:
        for source in LIMITED_SOURCES:
            name = source_limit_name(source)
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=slots)
                )
                created.append(f"concurrency limit {name}")
            except ObjectAlreadyExists:
                logger.info("concurrency limit %s exists", name)
        try:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            created.append(f"work pool {pool}")
        except ObjectAlreadyExists:
            logger.info("work pool %s exists", pool)
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.prefect.setup", description=__doc__)
    parser.add_argument("--pool", default=DEFAULT_POOL, help="process work pool to create")
    parser.add_argument("--slots", type=int, default=1, help="runs of one source at once")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for what in setup(args.pool, args.slots):
        logger.info("created %s", what)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
