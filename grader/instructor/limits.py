"""Text cut to a size: what a submission printed or raised, for feedback and logs.

Limits count characters, not lines, so one 50 MB line is cut like 50,000 short ones:
the beginning and the end are kept, the middle is replaced by a note of its size.
"""

from __future__ import annotations

HEAD = 3000  # characters kept from the beginning
TAIL = 1000  # and from the end


def clip(text: str, head: int = HEAD, tail: int = TAIL) -> str:
    """``text`` with its middle replaced by a note when longer than ``head + tail``."""
    if len(text) <= head + tail:
        return text
    cut = len(text) - head - tail
    return f"{text[:head]}\n... {cut:,} characters cut ...\n{text[len(text) - tail :]}"


class Capture:
    """Bytes written in pieces (a pipe), of which only the first ``head`` and the last
    ``tail`` bytes are kept; memory stays bounded whatever a submission prints."""

    def __init__(self, head: int = HEAD, tail: int = TAIL) -> None:
        self.head, self.tail = head, tail
        self.start, self.end = bytearray(), bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head - len(self.start)
        if room > 0:
            self.start += data[:room]
            data = data[room:]
        if data:
            self.end = (self.end + data)[-self.tail :]

    def text(self) -> str:
        kept = len(self.start) + len(self.end)
        start = self.start.decode(errors="replace")
        if self.total == kept:
            return start + self.end.decode(errors="replace")
        end = self.end.decode(errors="replace")
        return f"{start}\n... {self.total - kept:,} bytes cut ...\n{end}"
