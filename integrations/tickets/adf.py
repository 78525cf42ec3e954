"""Atlassian Document Format bodies for Jira Cloud (REST API v3).

ADF is a JSON tree, so untrusted text goes into `text` nodes and is never parsed as markup: no
escaping is needed, only the rules of the format (no empty text nodes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from integrations.tickets.layout import Section

Node = dict[str, Any]


def render_adf(sections: list[Section]) -> Node:
    """A `doc` node: level-3 headings, paragraphs with hard breaks, bullet lists, a rule."""
    content: list[Node] = []
    for section in sections:
        if section.heading:
            content.append(_heading(section.heading))
        else:
            content.append({"type": "rule"})
        content.extend(_paragraph(paragraph) for paragraph in section.paragraphs)
        if section.facts:
            content.append(
                _bullets(
                    [_text(f"{label}: ", strong=True), _text(value)]
                    for label, value in section.facts
                )
            )
        if section.items:
            content.append(_bullets([_text(item)] for item in section.items))
        if section.note:
            content.append(_paragraph(section.note))
    return {"type": "doc", "version": 1, "content": content}


def adf_size(document: Node) -> int:
    """Characters of the document as sent: what Jira holds against its 32,767 limit."""
    return len(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def _heading(text: str) -> Node:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_text(text)]}


def _paragraph(text: str) -> Node:
    inline: list[Node] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            inline.append({"type": "hardBreak"})
        if line:
            inline.append(_text(line))
    return {"type": "paragraph", "content": inline}


def _bullets(items: Iterable[list[Node]]) -> Node:
    return {
        "type": "bulletList",
        "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": nodes}]}
            for nodes in items
        ],
    }


def _text(text: str, *, strong: bool = False) -> Node:
    node: Node = {"type": "text", "text": text}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node
