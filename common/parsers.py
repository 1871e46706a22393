"""The API's JSON parser: DRF's, answering 400 for JSON Python cannot hold (not 500)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser


class JSONParser(DRFJSONParser):
    """DRF's parser turns a ValueError into 400; a document nested thousands deep raises
    RecursionError in the json module instead, which would have been a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
