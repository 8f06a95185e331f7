"""Scholar pages that are not what they seem: block pages served with status 200 are
recognised as blocks, a page in an unknown (old) layout is a clear error, and a recorded
excerpt's missing sections are not logged as warnings while a real parse failure still is."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from harvesters.errors import SourceResponseError
from harvesters.http.replay import replaying
from harvesters.scholar.client import ScholarBlockedError, ScholarClient, block_reason
from harvesters.scholar.harvester import ScholarHarvester
from harvesters.scholar.parse import UnrecognisedPageError, parse_profile_page, profile_path
from harvesters.scholar.settings import ScholarSettings

SCHOLAR = FIXTURES / "scholar"
ORIGINALS = SCHOLAR / "originals"
KOENIG = "xD9IjnYAAAAJ"
CAPTCHA_HTML = (ORIGINALS / "ordovicia_blocked_captcha.html").read_text("utf-8")

# constructed: the real "unusual traffic" block page (ordovicia_blocked_captcha.html) with its
# reCAPTCHA script and widget removed, as Google serves it when it only tells you to stop.
UNUSUAL_TRAFFIC_NO_CAPTCHA = re.sub(
    r"<script src=\"https://www.google.com/recaptcha[^>]*></script>\s*<div id=\"recaptcha\"[^>]*>"
    r"</div>",
    "",
    CAPTCHA_HTML,
)
# constructed: Google's "automated queries" page (its wording), served with status 200.
AUTOMATED_QUERIES = (
    "<html><head><title>Sorry...</title></head><body><div><h1>We're sorry...</h1>"
    "<p>... but your computer or network may be sending automated queries. To protect our "
    "users, we can't process your request right now.</p></div></body></html>"
)
# constructed: Google's own 403 error page (its wording), served with status 200.
GOOGLE_403 = (
    "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 403 (Forbidden)!!1</title>"
    "<p><b>403.</b> <ins>That's an error.</ins><p>Your client does not have permission to get "
    "URL <code>/citations</code> from this server. <ins>That's all we know.</ins>"
)
# constructed: a profile page in the pre-2014 Scholar Citations markup ("cit-" ids and
# classes, no gsc_* elements), the layout scholarly's parsers do not read.
OLD_LAYOUT = (
    "<html><head><title>Matthias König - Google Scholar Citations</title></head><body>"
    '<div id="cit-name-display" class="cit-in-place-nohover">Matthias König</div>'
    '<table class="cit-table"><tr class="cit-table header"><th>Title / Author</th></tr>'
    '<tr class="cit-table item"><td id="col-title"><a href="/citations?view_op=x">A paper</a>'
    "</td></tr></table></body></html>"
)


def client() -> ScholarClient:
    return ScholarClient(ScholarSettings(delay_seconds=0), sleep=lambda _s: None)


def serve(tmp_path: Path, body: str, name: str) -> Path:
    """A replay folder answering Matthias König's profile URL with ``body``, status 200."""
    folder = tmp_path / name
    folder.mkdir()
    record = {
        "url": "https://scholar.google.com" + profile_path(KOENIG),
        "status_code": 200,
        "headers": {"content-type": "text/html; charset=UTF-8"},
        "body": body,
        "note": f"{name}: see tests/harvesters/test_scholar_layouts.py",
    }
    (folder / f"{name}.json").write_text(json.dumps(record))
    return folder


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (UNUSUAL_TRAFFIC_NO_CAPTCHA, "constructed_unusual_traffic_no_captcha"),
        (AUTOMATED_QUERIES, "constructed_automated_queries_200"),
        (GOOGLE_403, "constructed_google_403_page_200"),
    ],
)
def test_block_page_served_with_status_200_is_a_block(tmp_path: Path, body: str, name: str) -> None:
    assert block_reason(200, body) is not None
    harvester = ScholarHarvester(client())
    with replaying(serve(tmp_path, body, name)), pytest.raises(ScholarBlockedError) as info:
        list(harvester.profile_pages(KOENIG))
    assert "Google" in info.value.reason


def test_a_real_profile_mentioning_unusual_traffic_is_not_a_block() -> None:
    profile = (ORIGINALS / "bborrel_profile_8daWuo4AAAAJ.html").read_text("utf-8")
    titled = profile.replace("</title>", " unusual traffic from your computer network</title>", 1)
    assert block_reason(200, titled) is None


def test_old_layout_page_is_a_clear_error_not_a_silent_quarantine(tmp_path: Path) -> None:
    with pytest.raises(UnrecognisedPageError, match="unrecognised page layout"):
        parse_profile_page(OLD_LAYOUT, KOENIG)
    harvester = ScholarHarvester(client())
    folder = serve(tmp_path, OLD_LAYOUT, "constructed_old_2013_layout")
    with replaying(folder), pytest.raises(SourceResponseError, match="unrecognised page layout"):
        list(harvester.profile_pages(KOENIG))


def test_profile_name_without_any_table_is_an_unrecognised_layout() -> None:
    html = '<html><body><div id="gsc_prf_in">Someone</div><p>nothing else</p></body></html>'
    with pytest.raises(UnrecognisedPageError, match="no citation table"):
        parse_profile_page(html, KOENIG)


@pytest.mark.parametrize(
    ("file", "scholar_id"),
    [
        ("fanjunqiao_scholar_profile_5cEG4tIAAAAJ_trimmed.html", "5cEG4tIAAAAJ"),
        ("livermetabolism_scholar_profile_xD9IjnYAAAAJ_stats_hist_trimmed.html", KOENIG),
    ],
)
def test_recorded_excerpts_log_no_warning_for_their_missing_sections(
    caplog: pytest.LogCaptureFixture, file: str, scholar_id: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="harvesters.scholar.parse")
    page = parse_profile_page((ORIGINALS / file).read_text("utf-8"), scholar_id)
    assert page.warnings == []
    parse_records = [r for r in caplog.records if r.name == "harvesters.scholar.parse"]
    assert not [r for r in parse_records if r.levelno >= logging.WARNING]
    assert not any("AttributeError" in r.getMessage() for r in parse_records)
    assert any("no basics section" in r.getMessage() for r in parse_records)


def test_a_real_parse_failure_is_still_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # constructed: the real Kietzig page with its first stats cell made unreadable.
    html = (ORIGINALS / "bborrel_profile_8daWuo4AAAAJ.html").read_text("utf-8")
    html = html.replace('<td class="gsc_rsb_std">1338</td>', '<td class="gsc_rsb_std">n/a</td>')
    assert "n/a" in html
    caplog.set_level(logging.INFO, logger="harvesters.scholar.parse")
    page = parse_profile_page(html, "8daWuo4AAAAJ")
    assert any(w.startswith("indices could not be read: ValueError") for w in page.warnings)
    assert any(
        r.levelno == logging.WARNING and "indices could not be read" in r.getMessage()
        for r in caplog.records
    )


def test_page_without_the_stats_table_records_no_zero_h_index() -> None:
    # constructed: the real Fan excerpt without its stats table; scholarly alone would set
    # hindex 0 and i10index 0 for it.
    html = (ORIGINALS / "fanjunqiao_scholar_profile_5cEG4tIAAAAJ_trimmed.html").read_text()
    html = re.sub(r'<table id="gsc_rsb_st".*?</table>', "", html, flags=re.S)
    assert "gsc_rsb_std" not in html
    page = parse_profile_page(html, "5cEG4tIAAAAJ")
    assert page.author is not None and "hindex" not in page.author
