"""Markdown (GitHub, GitLab) and Jira wiki (Data Center) bodies, with untrusted text escaped.

Report text must show literally: `*bold*`, `[link|http://x]`, `{code}` or `<script>` in a check
title may not format, link, run or break the ticket, and `@here`, `@all` or `#1` may not notify
people or cross-reference other issues.
"""

from __future__ import annotations

import re

from integrations.tickets.layout import Section

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# or end markup in GitHub or GitLab Markdown (emphasis, code, links, HTML, lists, headings,
# tables, strikethrough, GitLab math and references).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~^&$=:%@])")
# Mentions and references are found in the rendered text, where escapes are gone, so a word
# joiner (invisible) after the sigil is what stops `@all` notifying or `#1` linking.
_SIGIL_BEFORE_WORD = re.compile(r"([@#!~%$&])(?=\w)")
WORD_JOINER = "\u2060"

# A backslash before a special character escapes it, but `\\` is a line break: a literal
# backslash (and an ampersand, which starts entities) is written as an HTML entity instead.
_WIKI_ESCAPES = {"&": "&amp;", "\\": "&#92;"} | {char: "\\" + char for char in "*_?-+^~{}[]|!#()"}
_WIKI_SPECIAL = re.compile("|".join(re.escape(char) for char in _WIKI_ESCAPES))
_WIKI_BLOCK_START = re.compile(r"^(h[1-6]|bq)\.", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Make text literal in GitHub/GitLab Markdown, one line at a time (lines stay lines)."""
    lines = []
    for line in text.split("\n"):
        line = _SIGIL_BEFORE_WORD.sub(r"\1" + WORD_JOINER, line)
        line = _MARKDOWN_SPECIAL.sub(r"\\\1", line)
        # GitLab runs quick actions (/close, /assign) from lines that start with a slash.
        lines.append("\\" + line if line.startswith("/") else line)
    return "\n".join(lines)


def escape_jira_wiki(text: str) -> str:
    """Make text literal in Jira wiki markup."""
    text = _WIKI_SPECIAL.sub(lambda match: _WIKI_ESCAPES[match.group()], text)
    # "h1. " or "bq. " at the start of a line would make a heading or a quote.
    return _WIKI_BLOCK_START.sub(r"\1&#46;", text)


def render_markdown(sections: list[Section]) -> str:
    """A Markdown body: `###` headings, bullet facts and assets, hard line breaks kept."""
    blocks: list[str] = []
    for section in sections:
        blocks.append(f"### {section.heading}" if section.heading else "---")
        for paragraph in section.paragraphs:
            # A backslash at the end of a line is a hard line break in CommonMark.
            blocks.append("\\\n".join(escape_markdown(line) for line in paragraph.split("\n")))
        if section.facts:
            blocks.append(
                "\n".join(
                    f"- **{label}:** {escape_markdown(value)}" for label, value in section.facts
                )
            )
        if section.items:
            blocks.append("\n".join(f"- {escape_markdown(item)}" for item in section.items))
        if section.note:
            blocks.append(escape_markdown(section.note))
    return "\n\n".join(blocks) + "\n"


def render_jira_wiki(sections: list[Section]) -> str:
    """A Jira wiki body: `h3.` headings, bullet facts and assets."""
    blocks: list[str] = []
    for section in sections:
        blocks.append(f"h3. {section.heading}" if section.heading else "----")
        blocks.extend(escape_jira_wiki(paragraph) for paragraph in section.paragraphs)
        if section.facts:
            blocks.append(
                "\n".join(
                    f"* *{label}:* {escape_jira_wiki(value)}" for label, value in section.facts
                )
            )
        if section.items:
            blocks.append("\n".join(f"* {escape_jira_wiki(item)}" for item in section.items))
        if section.note:
            blocks.append(escape_jira_wiki(section.note))
    return "\n\n".join(blocks) + "\n"
