"""The parsers in detection order, format detection, and parsing a report's bytes.

Each format module offers ``FORMAT`` (its name on the command line), ``detect(document) -> bool``
(does this decoded document look like mine?) and ``parse(document) -> ParsedReport``.
"""

from __future__ import annotations

from types import ModuleType

from integrations.scanners import cnspec, grype, inspec, native, sarif, trivy, xccdf
from integrations.scanners.loading import Document, load_document
from integrations.scanners.records import ParsedReport, ReportError

#: Detection order matters only where shapes could overlap: the most specific formats come first.
PARSERS: tuple[ModuleType, ...] = (native, sarif, xccdf, trivy, grype, inspec, cnspec)

FORMATS: tuple[str, ...] = tuple(parser.FORMAT for parser in PARSERS)


def detect_format(document: Document) -> str:
    """Name the format of a decoded document, or raise a one-line :class:`ReportError`."""
    for parser in PARSERS:
        if parser.detect(document):
            return parser.FORMAT
    raise ReportError(f"not a report format casedesk recognises ({_describe(document)})")


def parse_report(data: bytes, *, format: str = "auto") -> ParsedReport:
    """Decode and parse one report file's bytes. Raises :class:`ReportError` for bad input."""
    document = load_document(data)
    name = detect_format(document) if format == "auto" else format
    parser = _parser_named(name)
    if format != "auto" and not parser.detect(document):
        raise ReportError(f"this is not a {name} report ({_describe(document)})")
    try:
        report = parser.parse(document)
    except ReportError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        # A document that looked like the format but is not shaped like it: say so in one line.
        raise ReportError(
            f"malformed {name} report: {type(error).__name__} {error}"[:300]
        ) from None
    return report


def _parser_named(name: str) -> ModuleType:
    for parser in PARSERS:
        if name == parser.FORMAT:
            return parser
    raise ReportError(f"unknown format {name!r}; choose one of: auto, {', '.join(FORMATS)}")


def _describe(document: Document) -> str:
    value = document.value
    if document.syntax == "xml":
        return f"XML with root element <{value.tag.rpartition('}')[2]}>"
    if document.syntax == "jsonlines":
        return f"JSON lines, {len(value)} objects"
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:4])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(value, list):
        return f"a JSON list of {len(value)} items"
    names = {str: "string", int: "number", float: "number", bool: "boolean"}
    return f"a JSON {names.get(type(value), 'null')}"


__all__ = ["FORMATS", "ParsedReport", "ReportError", "detect_format", "parse_report"]
