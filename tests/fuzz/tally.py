"""What the fuzz suite tried and found in this run, for the report written at the end of the session."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

#: How many inputs each entry point was called with, per store ("-" for calls that use no store).
TRIED: Counter[tuple[str, str]] = Counter()
#: How those calls ended: "succeeded", "refused" or "broke" (the property failed).
ENDINGS: Counter[tuple[str, str]] = Counter()
#: Each distinct failure once, by entry point, store, error and where it was raised; with its shortest input.
FINDINGS: dict[tuple[str, str, str, str], dict[str, Any]] = {}


def tried(entry: str, store: str) -> None:
    TRIED[entry, store] += 1


def ended(entry: str, how: str) -> None:
    ENDINGS[entry, how] += 1


def found(entry: str, store: str, error: str, where: str, message: str, example: str) -> None:
    key = (entry, store, error, where)
    if key not in FINDINGS:
        FINDINGS[key] = {"times": 0, "message": message, "example": example}
    FINDINGS[key]["times"] += 1
    if len(example) < len(FINDINGS[key]["example"]):  # the shrunk input, once Hypothesis has found it
        FINDINGS[key].update(message=message, example=example)


def report() -> dict[str, Any]:
    entries: dict[str, dict[str, Any]] = {}
    for (entry, store), count in sorted(TRIED.items()):
        entries.setdefault(entry, {"tried": 0, "stores": {}})
        entries[entry]["tried"] += count
        entries[entry]["stores"][store] = count
    for (entry, how), count in ENDINGS.items():
        entries[entry][how] = count
    findings = [
        {"entry": entry, "store": store, "error": error, "where": where, **details}
        for (entry, store, error, where), details in sorted(FINDINGS.items())
    ]
    return {"inputs": sum(TRIED.values()), "entry_points": entries, "findings": findings}


def write(path: Path) -> None:
    path.write_text(json.dumps(report(), indent=2) + "\n", encoding="utf-8")
