"""Feedback files: reading CSV, JSON Lines and JSON exports row by row, mapping their columns to feedback,
writing refused rows back in the file's own format, and the ``import`` and ``export`` commands.

``desk.import_file`` and ``desk.export`` are the way in from Python; ``docs/import.md`` describes the formats
and the column mapping.
"""

from closedloop.files.mapping import ColumnMapping, load_mapping
from closedloop.files.reading import FileFormat

__all__ = ["ColumnMapping", "FileFormat", "load_mapping"]
