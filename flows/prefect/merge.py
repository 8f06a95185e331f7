"""The ``merge`` flow: apply operator overrides and re-merge, from the Prefect UI or the API.

Typed parameters render as a form: a list of overrides (entity, action, the two references as
``scholarflow explain`` prints them, a reason) and whether to re-cluster every mention. The
database comes from the environment (SCHOLARFLOW_DATABASE_URL), a Secret block name or a
password-free URL, like the harvest flows.
"""

from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, Field

from flows.prefect.common import DatabaseUrl, flow_database, md_cell

MERGE_ARTIFACT_KEY = "merge-summary"


class Override(BaseModel):
    """One operator decision: force two works or authors together (merge) or apart (split)."""

    entity: Literal["work", "author"] = Field(description="What the references name.")
    action: Literal["merge", "split"] = Field(description="Force together or force apart.")
    left: str = Field(description="An id, SCHEME:VALUE, mention key or tracked author name.")
    right: str = Field(description="The other side, in the same forms.")
    reason: str | None = Field(default=None, description="Why (kept with the override).")


@flow(name="merge")
def merge(
    overrides: list[Override] | None = None,
    remerge_all: bool = False,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Store ``overrides`` (each wins on every later merge) and re-merge what they touch; with
    ``remerge_all``, re-cluster every mention. Returns the counts. Raises what the override
    step raises for an unknown reference (the run fails, nothing is stored).

    Args:
        overrides: Operator decisions to store and apply.
        remerge_all: Re-cluster every mention (after a change of the matching rules).
        database_url: SQLAlchemy URL without a password. Empty: the Secret block
            ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default file.
        database_secret: Name of a Prefect Secret block holding the database URL.
    """
    from models.identity.merge import merge_all, take_merge_lock
    from models.identity.overrides import add_override

    logger = get_run_logger()
    applied: list[dict[str, Any]] = []
    with flow_database(database_url, database_secret) as sessions, sessions() as session:
        for item in overrides or []:
            result = add_override(
                session, item.entity, item.action, item.left, item.right, item.reason
            )
            applied.append(
                {
                    "entity": result.entity,
                    "action": result.action,
                    "left": result.left_key,
                    "right": result.right_key,
                    "mentions": result.counts.mentions,
                }
            )
            logger.info(
                "override %s %s: %s + %s",
                result.action,
                result.entity,
                *(result.left_key, result.right_key),
            )
        totals: dict[str, int] = {}
        if remerge_all:
            take_merge_lock(session)
            counts = merge_all(session)
            totals = {
                "mentions": counts.mentions,
                "works_created": counts.works_created,
                "works_absorbed": counts.works_absorbed,
                "authors_created": counts.authors_created,
                "authors_absorbed": counts.authors_absorbed,
            }
        session.commit()
    lines = ["# merge", "", "| entity | action | left | right | mentions re-merged |"]
    lines.append("|---|---|---|---|---|")
    lines += [
        f"| {a['entity']} | {a['action']} | {md_cell(a['left'])} | {md_cell(a['right'])} "
        f"| {a['mentions']} |"
        for a in applied
    ]
    if totals:
        lines += ["", "Full re-merge: " + ", ".join(f"{k} {v}" for k, v in totals.items())]
    create_markdown_artifact(
        markdown="\n".join(lines) + "\n",
        key=MERGE_ARTIFACT_KEY,
        description="Overrides applied and re-merge counts",
    )
    return {"overrides": applied, "remerge": totals}
