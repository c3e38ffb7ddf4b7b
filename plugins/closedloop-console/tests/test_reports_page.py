"""The reports page over HTTP: the figures it shows are desk.metrics' for the signed-in user, its charts are
PNG images served by the console, and another place's feedback never counts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from console_world import SECRET
from pages_world import Seen, Shop, open_shop
from starlette.testclient import TestClient

from closedloop import Report
from closedloop_console import create_app

JANUARY = "since=2026-01-01&until=2026-02-01"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with open_shop(tmp_path) as opened:
        opened.survey(nps=10)
        opened.survey(nps=9)
        unhappy = opened.survey(nps=2).id
        opened.desk.log_call(unhappy, by="ana", summary="Apologised.")
        opened.survey("gare", name="Gare Gaston", nps=0)
        opened.survey("gare", nps=1)
        yield opened


def january(shop: Shop, user: str, by: str | None = None) -> Report:
    return shop.desk.metrics(user, since=date(2026, 1, 1), until=date(2026, 2, 1), by=by)


def table_rows(source: str, title_start: str) -> list[list[str]]:
    """The rows of the section whose heading starts with ``title_start``, each as its cells' text."""
    section = re.search(rf"<h2>{re.escape(title_start)}.*?</section>", source, flags=re.DOTALL)
    assert section is not None, f"no section {title_start!r}"
    body = section.group(0).split("<tbody>", 1)[1]
    return [
        [Seen(cell).text for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
    ]


def test_the_figures_shown_are_those_desk_metrics_gives_the_user(shop: Shop) -> None:
    report = january(shop, "ana")
    nps = report.figures.score("nps")
    assert nps is not None and (nps.answers, nps.promoters, nps.detractors) == (3, 2, 1)  # the Opéra's only

    source = shop.client("ana").get(f"/reports?{JANUARY}").text

    assert table_rows(source, "Scores") == [
        ["nps", "NPS", "3", f"NPS {nps.nps:+.1f}", f"{nps.mean:.2f}", "promoters 2, passives 0, detractors 1"]
    ]
    responsiveness = {row[0]: row[1] for row in table_rows(source, "Responsiveness")}
    assert responsiveness["Feedback counted"] == str(report.figures.responsiveness.feedback) == "3"
    assert responsiveness["Reply rate"] == f"{report.figures.responsiveness.reply_rate:.1f}%"
    alerts = table_rows(source, "Closed loop")[0]
    loop = report.figures.closed_loop
    assert alerts == ["Alerts", str(loop.alerts), str(loop.alerts_closed), f"{loop.alert_rate:.1f}%"]
    assert "Gare Gaston" not in source


def test_buckets_give_one_row_each_as_desk_metrics_does(shop: Shop) -> None:
    report = january(shop, "paula", by="week")

    rows = table_rows(shop.client("paula").get(f"/reports?{JANUARY}&by=week").text, "By week")

    assert [row[0] for row in rows] == [bucket.key for bucket in report.buckets]
    assert [row[1] for row in rows] == [str(bucket.figures.volume.feedback) for bucket in report.buckets]
    assert sum(int(row[1]) for row in rows) == 5  # Paula's group covers both places


def test_a_place_filter_narrows_the_figures_and_another_places_is_refused(shop: Shop) -> None:
    paula = shop.client("paula")
    gare = table_rows(paula.get(f"/reports?{JANUARY}&place=gare").text, "Responsiveness")
    assert gare[0] == ["Feedback counted", "2"]

    ana = shop.client("ana")
    assert ana.get(f"/reports?{JANUARY}&place=gare").status_code == 404
    assert ana.get(f"/reports/chart.png?{JANUARY}&place=gare&chart=nps-trend").status_code == 404
    assert ana.get(f"/reports?{JANUARY}&place=nowhere").status_code == 404


def test_each_chart_is_a_png_the_console_serves_itself(shop: Shop) -> None:
    browser = shop.client("ana")
    seen = Seen(browser.get(f"/reports?{JANUARY}&by=place").text)
    images = [attributes["src"] for tag, attributes in seen.tags if tag == "img"]
    assert len(images) == 4 and all(src.startswith("/reports/chart.png?") for src in images)
    assert not any(tag == "script" for tag, _ in seen.tags)

    for src in images:
        chart = browser.get(src)
        assert chart.status_code == 200, src
        assert chart.headers["content-type"] == "image/png"
        assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert browser.get(f"/reports/chart.png?{JANUARY}&chart=../etc").status_code == 404


def test_a_wrong_date_or_bucket_is_a_sentence_not_a_crash(shop: Shop) -> None:
    browser = shop.client("ana")

    for query in ("since=last+week", "by=year", "since=2026-02-01&until=2026-01-01"):
        answer = browser.get(f"/reports?{query}")
        assert answer.status_code == 400, query
        flashed = Seen(answer.text).flash()
        assert flashed is not None and not flashed[0], query


def test_the_reports_page_needs_a_signed_in_user(shop: Shop) -> None:
    anonymous = TestClient(create_app(shop.desk, passwords={}, secret_key=SECRET), follow_redirects=False)
    assert anonymous.get("/reports").status_code == 303
    assert anonymous.get("/reports/chart.png?chart=ratings").status_code == 303


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("since=0001-01-01&by=day", "a day report covers at most 400 days"),
        ("since=0001-01-01&until=2026-01-01&by=week", "a week report covers at most 2800 days"),
        ("since=0001-01-01&until=2026-01-01&by=month", "a report covers at most 3660 days"),
        ("since=0001-01-02", "a report covers at most 3660 days"),
    ],
)
def test_a_period_too_long_for_its_buckets_is_refused_at_once_with_the_limit(
    shop: Shop, query: str, limit: str
) -> None:
    browser = shop.client("ana")
    started = time.monotonic()
    answer = browser.get(f"/reports?{query}")
    assert answer.status_code == 400
    flashed = Seen(answer.text).flash()
    assert flashed is not None and not flashed[0] and limit in flashed[1]
    assert browser.get(f"/reports/chart.png?{query}&chart=ratings").status_code == 400
    assert time.monotonic() - started < 10


def test_a_year_by_day_and_ten_years_by_month_are_still_answered(shop: Shop) -> None:
    browser = shop.client("ana")
    assert browser.get("/reports?since=2025-01-01&until=2026-01-01&by=day").status_code == 200
    assert browser.get("/reports?since=2016-02-01&until=2026-01-01&by=month").status_code == 200
