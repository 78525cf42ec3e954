"""Turn the raw bytes of a report file into a document a parser can read, or a one-line error.

Everything here treats its input as hostile: invalid UTF-8, binary data, deep nesting and XML
entity tricks all end in a :class:`ReportError` with a message a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import orjson
from defusedxml import DefusedXmlException

from integrations.scanners.records import ReportError


@dataclass(slots=True)
class Document:
    """A decoded report: ``json`` (any JSON value), ``jsonlines`` (a list of objects) or ``xml``."""

    syntax: Literal["json", "jsonlines", "xml"]
    value: Any


def load_document(data: bytes) -> Document:
    """Decode ``data`` as JSON, JSON lines or XML. Raises :class:`ReportError`."""
    if not data.strip():
        raise ReportError("the file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise ReportError("binary data, not a scanner report")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReportError(
            f"not UTF-8 text (invalid byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return Document("xml", _load_xml(data))
    if stripped[:1] in ("{", "["):
        return _load_json(text)
    try:  # a bare JSON value ("…", 42, true) is JSON, just not a report: say which
        return Document("json", orjson.loads(text))
    except orjson.JSONDecodeError:
        raise ReportError("not JSON or XML, so not a report format casedesk reads") from None


def _load_xml(data: bytes) -> Element:
    try:
        # defusedxml refuses DTD entities and external references: no billion laughs, no network.
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ReportError(
            "XML declares entities or external references; refused (entity expansion attack?)"
        ) from None
    except ParseError as error:
        line, column = error.position
        raise ReportError(f"invalid or truncated XML at line {line}, column {column}") from None


def _load_json(text: str) -> Document:
    try:
        return Document("json", orjson.loads(text))
    except orjson.JSONDecodeError as first_error:
        lines = _json_lines(text)
        if lines is not None:
            return Document("jsonlines", lines)
        # cnspec's own test data has trailing commas (cnspec reads its reports with a YAML
        # parser), so a report with nothing wrong but trailing commas is read as cnspec would.
        relaxed = _without_trailing_commas(text)
        if relaxed != text:
            try:
                return Document("json", orjson.loads(relaxed))
            except orjson.JSONDecodeError:
                pass
        raise ReportError(_describe_json_error(first_error, text)) from None


def _json_lines(text: str) -> list[dict[str, Any]] | None:
    """A stream of one JSON object per line (InSpec's line output), or None if it is not one.

    Once the first line is an object on its own, the file is taken for a stream: a line after
    it that is not one (a truncated last line) is reported with its own line number.
    """
    rows = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(rows) < 2:
        return None
    objects = []
    for number, row in rows:
        try:
            value = orjson.loads(row)
        except orjson.JSONDecodeError as error:
            if not objects:
                return None
            reason = str(error.msg).split(":")[0]
            raise ReportError(f"invalid JSON lines: line {number} is not JSON ({reason})") from None
        if not isinstance(value, dict):
            if not objects:
                return None
            raise ReportError(f"invalid JSON lines: line {number} is not a JSON object")
        objects.append(value)
    return objects


_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[\]}])')


def _without_trailing_commas(text: str) -> str:
    return _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text)


def _describe_json_error(error: orjson.JSONDecodeError, text: str) -> str:
    if "depth" in str(error.msg):
        # orjson stops at 1,024 levels itself, so hostile nesting never reaches a parser.
        return "JSON nested more than 1,024 levels deep; refused"
    if error.pos >= len(text.rstrip()):
        return "truncated JSON: the file ends in the middle of a value"
    line = text.count("\n", 0, error.pos) + 1
    column = error.pos - (text.rfind("\n", 0, error.pos) + 1) + 1
    reason = str(error.msg).split(":")[0]
    return f"invalid JSON at line {line}, column {column}: {reason}"
