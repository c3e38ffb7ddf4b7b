"""Runs every benchmark and prints its figures with their ratio to a baseline measured in the same run.

python benchmarks/run.py            # the full sizes: 1,000,000 items; takes several minutes
python benchmarks/run.py --small    # small sizes, as the test suite runs them
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import analysis
import email_dispatch
import erasure
import import_file
import inbox
import intake
import metrics

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="small sizes, to check that the benchmarks work")
    parser.add_argument("--folder", type=Path, help="where the databases go (default: a temporary folder)")
    arguments = parser.parse_args()
    if arguments.small:
        intake_size, sizes, runs, emails, analysed, reported = 5_000, [1_000, 12_000], 20, 300, 2_000, [10_000]
        imported, erased = 4_000, 3_000
    else:
        intake_size, sizes, runs, emails, analysed = 1_000_000, [10_000, 100_000, 1_000_000], 200, 10_000, 100_000
        reported = [10_000, 100_000, 1_000_000]
        imported, erased = 1_000_000, 100_000
    folder = arguments.folder or Path(tempfile.mkdtemp(prefix="closedloop-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"databases in {folder}\n")

    intake.main(intake_size, folder)
    measured = subprocess.run(
        [sys.executable, str(HERE / "intake.py"), "memory", str(intake_size), str(folder)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"  peak memory of a process streaming {intake_size:,} items through ingest_many: "
          f"{float(measured.stdout):.0f} MB  (target under 300 MB)\n")  # fmt: skip

    import_file.main(imported, folder)
    print()
    inbox.main(folder, sizes, runs)
    print()
    email_dispatch.main(emails, folder)
    print()
    analysis.main(analysed, folder)
    print()
    metrics.main(folder, reported, 5 if arguments.small else 20)
    print()
    erasure.main(erased, folder)


if __name__ == "__main__":
    main()
