"""closedloop's offline analysis: the language of a comment, the concepts it names and their sentiment."""

from closedloop.analysis.language import detect_language, feedback_language, language_of

__all__ = ["detect_language", "feedback_language", "language_of"]
