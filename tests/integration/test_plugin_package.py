"""A real plugin distribution, installed with pip, is found through its ``closedloop`` entry point.

``tests/plugin_package/closedloop-echo`` is built and installed into a temporary ``--target`` directory (no
network, no change to the running environment); fresh Python processes then open desks with and without that
directory on their path, and report back as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).parents[1] / "plugin_package" / "closedloop-echo"

DRIVER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime

    import closedloop
    from closedloop import Desk, Feedback, Place, Rating, RatingKind, User

    log = sys.argv[1]
    report = {}


    def outcome(call):
        try:
            call()
        except closedloop.ClosedLoopError as error:
            return {"error": type(error).__name__, "message": str(error)}
        return {"error": None}


    def open_desk(**settings):
        desk = Desk.open(extra={"echo_log": log}, **settings)
        desk.add_place(Place(id="lyon", name="Chez Nous Lyon"))
        desk.add_user(User(id="leo", name="Leo Faure", places={"lyon"}))
        review = desk.ingest(
            Feedback(
                source="review",
                platform="echo",
                external_id="e-1",
                place_id="lyon",
                received_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                ratings=[Rating(key="stars", kind=RatingKind.STARS, value=2)],
                comments="Long wait.",
            )
        )
        return desk, review


    desk, review = open_desk()
    report["plugin_names"] = desk.plugin_names
    report["channels"] = sorted(desk.registry.channels)
    report["conversation_id"] = review.id
    report["reply"] = outcome(lambda: desk.reply(review.id, by="leo", body="Sorry about the wait.", channel="review"))
    sent = desk.dispatch()
    report["dispatch"] = {"sent": sent.sent, "failed": sent.failed, "retrying": sent.retrying}
    report["outbox"] = [
        {"channel": m.channel, "kind": m.kind.value, "status": m.status.value, "body": m.body} for m in desk.outbox()
    ]
    report["status"] = desk.conversation(review.id, by="leo").status.value
    report["too_long"] = outcome(lambda: desk.reply(review.id, by="leo", body="x" * 101, channel="review"))
    report["longest"] = outcome(lambda: desk.reply(review.id, by="leo", body="y" * 100, channel="review"))
    report["outbox_after_limits"] = len(desk.outbox())

    blocked, blocked_review = open_desk(blocked_plugins=["echo"])
    report["blocked_plugin_names"] = blocked.plugin_names
    report["blocked_reply"] = outcome(
        lambda: blocked.reply(blocked_review.id, by="leo", body="Sorry about the wait.", channel="review")
    )
    report["blocked_outbox"] = len(blocked.outbox())

    skipped = Desk.open(extra={"echo_log": log}, load_entry_points=False)
    report["skipped_plugin_names"] = skipped.plugin_names
    report["skipped_channels"] = sorted(skipped.registry.channels)
    print(json.dumps(report))
    """
)


def run_driver(tmp_path: Path, site: Path | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the driver in a fresh interpreter, with ``site`` first on PYTHONPATH, or without it."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    log = tmp_path / "echo.jsonl"
    env = dict(os.environ)
    inherited = [entry for entry in env.pop("PYTHONPATH", "").split(os.pathsep) if entry]
    path = ([str(site)] if site is not None else []) + inherited
    if path:
        env["PYTHONPATH"] = os.pathsep.join(path)
    done = subprocess.run(
        [sys.executable, str(script), str(log)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return json.loads(done.stdout), [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """closedloop-echo installed with pip into its own directory, built from a copy so the tree stays clean."""
    root = tmp_path_factory.mktemp("echo-plugin")
    source = root / "closedloop-echo"
    shutil.copytree(PACKAGE, source)
    target = root / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--no-index",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.fixture(scope="module")
def installed(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return run_driver(tmp_path_factory.mktemp("with-echo"), site)


def test_the_installed_distribution_declares_its_entry_point(site: Path) -> None:
    (dist,) = site.glob("closedloop_echo-*.dist-info")
    assert "[closedloop]\necho = closedloop_echo" in (dist / "entry_points.txt").read_text(encoding="utf-8")
    assert (site / "closedloop_echo.py").is_file()


def test_the_plugin_is_found_through_its_entry_point(installed: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    report, _log = installed
    assert "echo" in report["plugin_names"]
    assert "echo" in report["channels"]


def test_a_review_reply_goes_out_through_the_plugins_channel(
    installed: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    report, log = installed
    assert report["reply"] == {"error": None}
    assert report["status"] == "awaiting_customer"
    assert report["dispatch"] == {"sent": 1, "failed": 0, "retrying": 0}
    assert report["outbox"][0] == {
        "channel": "echo",
        "kind": "review_reply",
        "status": "sent",
        "body": "Sorry about the wait.",
    }
    sent = [line for line in log if line["event"] == "sent"]
    assert sent == [
        {
            "event": "sent",
            "message_id": sent[0]["message_id"],
            "conversation_id": report["conversation_id"],
            "kind": "review_reply",
            "external_id": "e-1",
            "sender_name": "Chez Nous Lyon",  # a review reply is signed by the place
            "body": "Sorry about the wait.",
        }
    ]


def test_the_plugins_channel_limit_is_enforced(installed: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    report, _log = installed
    assert report["too_long"]["error"] == "InvalidInput"
    assert "100 characters" in report["too_long"]["message"]
    assert report["longest"] == {"error": None}  # exactly at the limit is fine
    assert report["outbox_after_limits"] == 2  # the first reply and the 100-character one; not the refused one


def test_the_event_hook_sees_each_change(installed: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    report, log = installed
    changed = [line for line in log if line["event"] == "changed"]
    assert changed == [
        {
            "event": "changed",
            "conversation_id": report["conversation_id"],
            "status": "awaiting_customer",
            "added": ["review_reply", "status_change"],
        },
        {
            "event": "changed",
            "conversation_id": report["conversation_id"],
            "status": "awaiting_customer",
            "added": ["review_reply"],
        },
    ]


def test_blocking_the_plugin_by_its_entry_point_name(installed: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    report, _log = installed
    assert "echo" not in report["blocked_plugin_names"]
    assert report["blocked_reply"]["error"] == "ChannelUnavailable"
    assert "'echo'" in report["blocked_reply"]["message"]
    assert report["blocked_outbox"] == 0


def test_a_desk_can_skip_entry_point_plugins(installed: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    report, _log = installed
    assert "echo" not in report["skipped_plugin_names"]
    assert "echo" not in report["skipped_channels"]


def test_without_the_plugin_installed_closedloop_works_without_an_echo_channel(tmp_path: Path) -> None:
    report, log = run_driver(tmp_path, site=None)
    assert "echo" not in report["plugin_names"]
    assert "echo" not in report["channels"]
    assert "closedloop.channels.phone" in report["plugin_names"]
    assert report["reply"]["error"] == "ChannelUnavailable"
    assert report["outbox"] == []
    assert report["dispatch"] == {"sent": 0, "failed": 0, "retrying": 0}
    assert log == []
