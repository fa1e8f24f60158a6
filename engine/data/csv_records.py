"""The first records of a CSV text, read as pandas' C reader splits them, with bounds: a header
or a first row of a million values is measured without making a million of anything. The table
reader (engine/data/table.py) checks them before it hands the text to pandas."""

from __future__ import annotations

import re
from typing import NamedTuple

# Every repeat is possessive (*+, ++): a plain one keeps a way back for each step, 100 bytes each.
# pandas skips blank lines (spaces and tabs only), and a comma right after a blank line's lone \r
# unless spaces and then a value follow it.
_BLANK_LINES = re.compile(r"(?:[ \t]*+(?:\n|\r(?:\n|,(?![ \t]+[^ \t\r\n]))?))*+")
# A value: spaces skipped, then quoted parts ("" is a quote inside them) with any text after the
# last, or a quote never closed (pandas: "EOF inside string"), or text in which a quote is plain.
_VALUE = re.compile(r' *+((?:"[^"]*+")++(?!")[^,\r\n]*+|(?P<unclosed>(?:"[^"]*+")*+"[^"]*+\Z)|[^,\r\n]*+)')
_QUOTED_PARTS = re.compile(r'(?:"[^"]*+")++')
_QUOTED_PART = re.compile(r'"([^"]*+)"')


class Record(NamedTuple):
    spans: list[tuple[int, int]]  # where each value read lies in the text
    end: int  # where reading stopped
    whole: bool  # the record ends at `end` (the next begins there); if not, it has more values than asked for
    unclosed: bool  # its last value opens a quote never closed: it runs to the end of the text


def skip_blank_lines(text: str, start: int) -> int:
    """Where the first record at or after `start` begins, past the lines pandas skips."""
    return _BLANK_LINES.match(text, start).end()


def read_record(text: str, start: int, most: int) -> Record:
    """The record that begins at `start`, read up to its end or up to its `most`th value and the
    comma after it (then it has more than `most`)."""
    spans: list[tuple[int, int]] = []
    at = start
    while True:
        value = _VALUE.match(text, at)
        spans.append(value.span(1))
        at = value.end()
        if not text.startswith(",", at):
            break
        at += 1
        if len(spans) >= most:
            return Record(spans, at, False, False)
    line_end = 2 if text.startswith("\r\n", at) else int(at < len(text))
    return Record(spans, at + line_end, True, value.start("unclosed") >= 0)


def count_past(text: str, at: int, counted: int) -> str:
    """How many values a record has when reading stopped at `at` after `counted` of them (and a
    comma): counted in full when the rest of its line has no quotes, so no value spans lines."""
    newline = text.find("\n", at)
    line_end = newline if newline >= 0 else len(text)
    carriage_return = text.find("\r", at, line_end)
    line_end = carriage_return if carriage_return >= 0 else line_end
    if text.find('"', at, line_end) >= 0:
        return f"more than {counted:,}"
    return f"{counted + text.count(',', at, line_end) + 1:,}"


def unquoted(value: str) -> str:
    """A value as pandas reads it: its quoted parts' text, joined by the quote each "" stands for."""
    quoted = _QUOTED_PARTS.match(value)
    if quoted is None:
        return value
    return '"'.join(_QUOTED_PART.findall(quoted.group())) + value[quoted.end() :]
