"""The benchmarks run at a small size in every test run, so a broken benchmark fails CI.

The full sizes are run by hand (``python benchmarks/run.py``); their figures are timing, not behaviour,
so they are reported rather than asserted here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_runs_and_reports_its_ratio(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--small", "--folder", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert re.search(r"ratio ingest_many / raw\s+\d+\.\d\d", output), output
    assert re.search(r"ratio import_file / raw\s+\d+\.\d\d", output), output
    assert re.search(r"ratio import_file / raw, one statement\s+\d+\.\d\d", output), output
    assert re.search(r"ratio ingest_many / raw, at once\s+\d+\.\d\d", output), output
    assert re.search(r"peak memory of a process importing all 4,000 rows: \d+ MB", output), output
    assert re.search(r"peak memory of a process streaming 5,000 items through ingest_many: \d+ MB", output), output
    rows = re.findall(r"^\s+([\d,]+)\s+([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+|nan) ms", output, re.M)
    assert [row[0] for row in rows] == ["1,000", "12,000"], output
    assert rows[1][4] != "nan", "the 12,000 database is deep enough for a page 10,000 items down"
    assert re.search(r"page \+ counts cold, 12,000 / 1,000: \d+\.\d\d", output), output
    assert re.search(r"ratio dispatch / smtplib\s+\d+\.\d\d", output), output
    assert re.search(r"ratio on / off\s+\d+\.\d\d", output), output
    assert re.search(r"ratio one process / off\s+\d+\.\d\d", output), output
