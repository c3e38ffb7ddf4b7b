"""closedloop's offline analysis: the language of a comment, the concepts it names and their sentiment."""

from closedloop.analysis.language import detect_language, feedback_language, language_of
from closedloop.analysis.offline import OfflineAnalyzer
from closedloop.analysis.taxonomy import Taxonomy

__all__ = ["OfflineAnalyzer", "Taxonomy", "detect_language", "feedback_language", "language_of"]
