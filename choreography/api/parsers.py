"""The parsers of the views that read a body."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser


class JSONParser(parsers.JSONParser):
    """DRF's, plus: JSON nested deeper than Python's decoder goes ("[[[[...") is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None


# Every view that reads a body: DRF's default parsers, with the JSON one above.
BODY_PARSERS = [JSONParser, FormParser, MultiPartParser]
