"""Kill -9 at random points of a large ACL backfill and of a long OAI-PMH window, resume until
done: the database ends identical to an uninterrupted run's, and no run is left ``running``.

Each harvest is a real subprocess, ``python -m flows.cli.main --database-url URL harvest ...``,
killed with SIGKILL after a random delay (uniform between 0 and the uninterrupted run's
harvest duration divided by ``--kills``, counted from the moment its ``running`` run row
appears, seeded by ``--seed``), then started again; after ``--kills`` kills it runs to the
end (only kills that land while the run is ``running`` count towards ``--kills``; those
landing after its last commit are reported apart). Killed runs must be marked
``interrupted`` by the next run (a process check).

Inputs (built into a temporary folder, nothing is written under tests/):

* ACL: the 4 real collection files of tests/fixtures/acl/xml copied ``--copies`` times with
  rewritten collection ids (``2023.bigpicture`` -> ``2023.bigpicturer7``, as
  bench/acl_ingest.py does), read as ``--data-dir``; ``harvest acl --years 2020-2024``.
* OAI-PMH: a constructed window of ``--pages`` pages chained by resumption tokens, each page
  the real 5-record oai_dc page of tests/fixtures/arxiv/recordings
  (wrapped_oai_dc_cs_2024-01-25_page1.json) with its arXiv ids and titles rewritten per page,
  the last page an end-of-list page; ``harvest arxiv --set cs --since 2024-01-25
  --metadata-prefix oai_dc --replay DIR``.

Databases are compared with models/snapshot.py (every table but harvest_run and merge_lock,
on natural keys, without surrogate ids, run ids and wall-clock columns).

Usage: uv run python bench/kill_resume.py [--kills 10] [--copies 60] [--pages 60] [--seed 1]
       [--pg [URL]] [--only acl|oai]
Exit code 1 on a difference, a run left running, or a resume that fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.acl_ingest import assemble  # noqa: E402
from bench.fault_injection import PG_URL, databases, read  # noqa: E402
from models.engine import make_engine  # noqa: E402
from models.runs import HarvestRun  # noqa: E402
from models.snapshot import compare  # noqa: E402

OAI_PAGE = (
    ROOT / "tests" / "fixtures" / "arxiv" / "recordings" / "wrapped_oai_dc_cs_2024-01-25_page1.json"
)
OAI_BASE = "https://oaipmh.arxiv.org/oai?verb=ListRecords"
_TOKEN = re.compile(r"<resumptionToken[^>]*>[^<]*</resumptionToken>")


def build_acl_checkout(folder: Path, copies: int) -> Path:
    """A data folder of ``copies`` renamed copies of the real ACL files; its path."""
    assemble(folder, copies)
    return folder


def build_oai_window(folder: Path, pages: int) -> Path:
    """A replay folder holding a constructed ``pages``-page oai_dc window (see the module
    docstring); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    real = json.loads(OAI_PAGE.read_text(encoding="utf-8"))
    body: str = real["body"]
    ids = list(dict.fromkeys(re.findall(r"<identifier>oai:arXiv\.org:([^<]+)</identifier>", body)))
    per_page = len(ids)
    total = per_page * pages
    for page in range(1, pages + 1):
        text = body
        for j, old in enumerate(ids):
            text = text.replace(old, f"2401.{(page - 1) * per_page + j + 10000:05d}")
        text = re.sub(r"<dc:title>", f"<dc:title>[constructed copy {page}] ", text)
        cursor = (page - 1) * per_page
        token = (
            f'<resumptionToken cursor="{cursor}" completeListSize="{total}">'
            f"constructed-large|{page + 1}</resumptionToken>"
            if page < pages
            else f'<resumptionToken cursor="{cursor}" completeListSize="{total}"/>'
        )
        text = _TOKEN.sub(token, text) if _TOKEN.search(text) else text
        url = real["url"] if page == 1 else f"{OAI_BASE}&resumptionToken=constructed-large%7C{page}"
        record = {
            "url": url,
            "status_code": 200,
            "body": text,
            "note": f"constructed page {page}/{pages} from {OAI_PAGE.name}, ids/titles rewritten",
        }
        (folder / f"constructed_large_oai_page{page}.json").write_text(
            json.dumps(record), encoding="utf-8"
        )
    return folder


def acl_args(data_dir: Path) -> list[str]:
    return ["harvest", "acl", "--data-dir", str(data_dir), "--years", "2020-2024"]


def oai_args(replay_dir: Path) -> list[str]:
    return [
        "harvest",
        "arxiv",
        "--set",
        "cs",
        "--since",
        "2024-01-25",
        "--metadata-prefix",
        "oai_dc",
        "--replay",
        str(replay_dir),
    ]


def _run_started(url: str, pid: int) -> bool:
    """Whether the process ``pid`` has a ``running`` harvest run in the database yet."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.scalar(
                select(HarvestRun.id).where(HarvestRun.pid == pid, HarvestRun.status == "running")
            )
            return found is not None
    except Exception:  # no table yet (migrating), or a locked SQLite file: not started
        return False
    finally:
        engine.dispose()


def run_cli(url: str, args: list[str], kill_after: float | None = None) -> tuple[int, bool]:
    """Run the CLI on ``url``; with ``kill_after``, SIGKILL it that many seconds after its
    harvest run started (its ``running`` row appeared), if it is still running. Returns
    (exit code, killed inside the run: its row was still ``running``)."""
    env = {**os.environ, "SCHOLARFLOW_HTTP_RETRY_DELAYS": "0,0,0"}
    command = [sys.executable, "-m", "flows.cli.main", "--database-url", url, "-q", *args]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    killed = False
    if kill_after is not None:
        # Starting Python and importing take seconds on a loaded machine: kill points are
        # drawn inside the harvest, not during the imports.
        while proc.poll() is None and not _run_started(url, proc.pid):
            time.sleep(0.05)
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            # A kill after the run's last commit (the process was exiting) interrupts nothing.
            killed = _run_started(url, proc.pid)
    _, err = proc.communicate()
    if proc.returncode not in (0, -signal.SIGKILL):
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    return proc.returncode, killed


def harvest_seconds(url: str) -> float:
    """How long the (only) harvest run of the database at ``url`` took."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            started, finished = conn.execute(
                select(HarvestRun.started_at, HarvestRun.finished_at)
            ).one()
        return (finished - started).total_seconds()
    finally:
        engine.dispose()


def run_statuses(url: str) -> Counter[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(HarvestRun.status, func.count()).group_by("status"))
            return Counter(dict(rows.all()))
    finally:
        engine.dispose()


@dataclass
class KillReport:
    """What one scenario did and found."""

    name: str
    clean_seconds: float
    kills: int = 0
    late_kills: int = 0
    resumes: int = 0
    failed_resumes: list[int] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    tables: int = 0
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.name}: uninterrupted run {self.clean_seconds:.1f}s; kills inside a run "
            f"{self.kills} (and {self.late_kills} after its last commit), resumes "
            f"{self.resumes} (failed exits {len(self.failed_resumes)}), runs "
            f"{dict(self.statuses)}; compared {self.tables} tables, {self.rows} rows; "
            f"differences {len(self.differences)}"
        )


def kill_and_resume(
    name: str,
    args: list[str],
    new_url: Callable[[str], str],
    kills: int,
    rng: random.Random,
) -> KillReport:
    """An uninterrupted run, then a run killed ``kills`` times and resumed to the end, each
    into a fresh database; compares them."""
    clean_url = new_url(f"{name}_clean")
    code, _ = run_cli(clean_url, args)
    if code != 0:
        raise RuntimeError(f"{name}: the uninterrupted run exited {code}")
    seconds = harvest_seconds(clean_url)
    report = KillReport(name, seconds)
    url = new_url(f"{name}_killed")
    # Kill points are drawn in the first 1/kills of the run's duration, so (a resumed run
    # redoing at most its last uncommitted batch) the work lasts for about ``kills`` kills.
    # A resume that gets to the end before its kill point ends the killing: nothing is left.
    while report.kills < kills:
        code, killed = run_cli(url, args, kill_after=rng.uniform(0.0, seconds / kills))
        if killed:
            report.kills += 1
        elif code == -signal.SIGKILL:
            report.late_kills += 1
        else:
            report.resumes += 1
            if code != 0:
                report.failed_resumes.append(code)
            break
    code, _ = run_cli(url, args)  # the last resume runs to the end
    report.resumes += 1
    if code != 0:
        report.failed_resumes.append(code)
    report.statuses = run_statuses(url)
    clean = read(clean_url)
    report.tables, report.rows = len(clean.tables), clean.rows()
    report.differences = compare(clean, read(url))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=10, help="kills per scenario")
    parser.add_argument("--copies", type=int, default=60, help="copies of the 4 ACL files")
    parser.add_argument("--pages", type=int, default=60, help="pages of the OAI window")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("acl", "oai"))
    parser.add_argument("--pg", nargs="?", const=PG_URL, help="PostgreSQL URL (default local)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="kills-") as tmp, databases(args.pg, Path(tmp)) as new:
        folder = Path(tmp)
        scenarios = []
        if args.only in (None, "acl"):
            data = build_acl_checkout(folder / "acl", args.copies)
            files = len(list((data / "xml").glob("*.xml")))
            scenarios.append((f"ACL backfill ({files} collection files)", "acl", acl_args(data)))
        if args.only in (None, "oai"):
            replay = build_oai_window(folder / "oai", args.pages)
            scenarios.append((f"OAI-PMH window ({args.pages} pages)", "oai", oai_args(replay)))
        for label, name, cli_args in scenarios:
            report = kill_and_resume(name, cli_args, new, args.kills, rng)
            print(f"{label} on {'postgresql' if args.pg else 'sqlite'}")
            print("  " + report.line())
            for line in report.differences[:10]:
                print(f"  {line[:300]}")
            bad += bool(report.differences or report.statuses["running"] or report.failed_resumes)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
