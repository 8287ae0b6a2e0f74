"""The framing of an answer judged on its bytes (RFC 9112), not on what a lenient client made of
them: http.client and urllib3 decode a body sent chunked *and* with a Content-Length, take one of
two Content-Length or Content-Type fields, and unfold folded lines, so that nothing after them
could see it. A client or proxy that reads the same bytes otherwise reads another answer (response
smuggling), or none. The header section's lines are kept as the response reads them
(connections.FinalResponse), and judged here; the findings travel with the response in
FRAMING_HEADER, as the body's truncation does."""

from __future__ import annotations

FRAMING_HEADER = "X-Chaser-Framing"
_SEPARATOR = " | "  # between the problems FRAMING_HEADER carries
HEAD_BYTES = 1 << 16  # the header section kept for this (deadline.Tally)
END_OF_HEAD = (b"\r\n", b"\n", b"")  # the line that ends a header section (b"": the connection closed)


def carried(problems: list[str]) -> str:
    """The problems as FRAMING_HEADER's value."""
    return _SEPARATOR.join(problems)


def carried_problems(value: str) -> list[str]:
    """The problems a FRAMING_HEADER value carries (none for "")."""
    return [p for p in value.split(_SEPARATOR) if p]


def framing_problems(lines: list[bytes]) -> list[str]:
    """What is ambiguous in a header section (its lines after the status line, CRLF kept)."""
    problems: list[str] = []
    fields: list[tuple[str, str]] = []
    for line in lines:
        if line in END_OF_HEAD:
            break
        if line[:1] in (b" ", b"\t"):
            problems.append("obsolete line folding: a header line starts with white space (RFC 9112 §5.2)")
            continue
        body = line.rstrip(b"\r\n")
        if b"\r" in body:
            problems.append("a bare CR inside a header line (RFC 9112 §2.2)")
        name, colon, value = body.partition(b":")
        if not colon:
            problems.append(f"a header line without a colon: {body[:60]!r}")
            continue
        fields.append((name.strip().decode("latin-1").lower(), value.strip().decode("latin-1")))
    names = [n for n, _ in fields]
    if "transfer-encoding" in names and "content-length" in names:
        problems.append("Transfer-Encoding and Content-Length together (RFC 9112 §6.1: a sender MUST NOT send both)")
    lengths = {v.strip() for n, value in fields if n == "content-length" for v in value.split(",")}
    if len(lengths) > 1:
        problems.append(f"Content-Length fields that disagree: {', '.join(sorted(lengths))} (RFC 9110 §8.6)")
    types = {value.lower().replace(" ", "") for n, value in fields if n == "content-type"}
    if len(types) > 1:
        problems.append(f"Content-Type fields that disagree: {', '.join(sorted(types))} (RFC 9110 §8.3)")
    return list(dict.fromkeys(problems))


def raw_lines(section: bytes) -> list[bytes]:
    """A header section's bytes as lines, CRLF kept (for an answer read whole: a HEAD's)."""
    return section.splitlines(keepends=True)
