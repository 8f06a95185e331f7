"""The Prefect 3 layer: one flow module per source, the nightly and backfill flows, and the served
deployments. The only package that imports Prefect at module level."""
