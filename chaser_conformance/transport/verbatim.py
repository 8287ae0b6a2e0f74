"""One HTTP request whose target is sent byte for byte.

requests and urllib3 repair what they send: an invalid percent-escape ('%zz', a lone '%')
becomes '%25zz'. A server's answer to the request a client really could send is what the
near-miss and malformed-id checks need, so these go out through http.client, which sends the
request target as given (it refuses only spaces and control characters).
"""

from __future__ import annotations

import http.client
import io
import re
import ssl
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3.exceptions

from . import deadline, proxies
from .connections import FinalResponse
from .framing import FRAMING_HEADER, carried, framing_problems, raw_lines

# What the suite's pooled requests ask for (requests' default without the optional br and zstd), and
# decode here as there: a request without Accept-Encoding would allow any coding (RFC 9110 §12.5.3).
ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True)
class RawAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool


def send(
    method: str,
    url: str,
    headers: dict[str, str],
    timeout: tuple[float, float],
    max_body: int,
    verify: bool | str = True,
    proxy: str | None = None,
) -> RawAnswer:
    """Send one request on a connection of its own, through `proxy` (an http:// proxy) if given:
    an http:// request with its absolute URL as the target, an https:// one through a CONNECT
    tunnel. Raises OSError, http.client.HTTPException or urllib3's DecodeError when there is no
    usable answer."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connect, read = timeout
    host, port = parts.hostname or "", parts.port
    via = urlsplit(proxy) if proxy else None
    if via is not None:
        host, port = via.hostname or "", via.port or 80
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=connect, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=connect)
    if proxy is not None:
        auth = proxies.authorization(proxy)
        if parts.scheme == "https":
            conn.set_tunnel(parts.hostname or "", parts.port, {"Proxy-Authorization": auth} if auth else None)
        else:
            target = f"{parts.scheme}://{parts.netloc}{target}"  # absolute-form (RFC 9112 §3.2.2)
            headers = {**headers, **({"Proxy-Authorization": auth} if auth else {})}
    conn.response_class = FinalResponse  # past any 1xx interim answer (RFC 9110 §15.2)
    try:
        deadline.attempt(conn)  # the exchange's time starts (deadline.py)
        conn.connect()
        deadline.connected(conn)
        conn.sock.settimeout(read)
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, _octets(str(value)))
        conn.endheaders()
        if method == "HEAD":
            return _head_answer(conn.sock, max_body, read)
        response = conn.getresponse()
        body = decoded(response.read(max_body + 1), response.getheader("Content-Encoding", ""), max_body)
        fields = response.getheaders() + _framing(getattr(response, "framing", []))
        return RawAnswer(response.status, response.reason, fields, body[:max_body], len(body) > max_body)
    finally:
        conn.close()


def beyond_latin1(value: str) -> bool:
    """A field value http.client (and requests) cannot send as it is: this path sends its UTF-8 bytes."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


def _octets(value: str) -> str | bytes:
    """A field value as sent: Latin-1 as http.client sends it, else its UTF-8 bytes (a credential
    spelled beyond Latin-1, such as the token in fullwidth letters, reaches the server as UTF-8)."""
    return value.encode("utf-8") if beyond_latin1(value) else value


def decoded(body: bytes, coding: str, max_body: int) -> bytes:
    """The content without its gzip or deflate coding, at most max_body + 1 bytes of it (a small
    body may decode to a huge one); another coding is left as it came, and judged so."""
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        attempts = [16 + zlib.MAX_WBITS]
    elif coding == "deflate":  # zlib-wrapped as RFC 9110 §8.4.1.2 says, or raw as some servers send it
        attempts = [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    else:
        return body
    for wbits in attempts:
        try:
            return zlib.decompressobj(wbits).decompress(body, max_body + 1)
        except zlib.error:
            continue
    raise urllib3.exceptions.DecodeError(f"the content does not decode as {coding}")


HEADER_BYTES = 1 << 16
INTERIM = re.compile(rb"HTTP/\d(\.\d)? 1(0[02-9]|[1-9]\d)\b")  # 1xx, but 101 (the suite never upgrades)


def _final_head(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """The final answer's header section, the CRLF CRLF that ends it (empty: not yet), what follows."""
    fields, found, content = raw.partition(b"\r\n\r\n")
    while found and INTERIM.match(fields):  # a 1xx before the final answer (RFC 9110 §15.2)
        fields, found, content = content.partition(b"\r\n\r\n")
    return fields, found, content


def _head_answer(sock: Any, max_body: int, read: float) -> RawAnswer:
    """A HEAD's answer read to the end of the connection (the request says Connection: close):
    http.client stops after the header fields, but whatever follows them is content that a HEAD
    must not have (RFC 9110 §9.3.2), and the check needs to see it. The read timeout bounds the
    whole answer, not each read: a server that trickles bytes does not make it longer."""
    raw = b""
    ends = time.monotonic() + read
    try:
        while len(raw) <= HEADER_BYTES + max_body:
            left = ends - time.monotonic()
            if left <= 0:
                raise TimeoutError("the HEAD's answer did not end within the read timeout")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            deadline.received(len(chunk))
            if not chunk:
                break
            raw += chunk
            if _final_head(raw)[1]:
                deadline.answered()
    except TimeoutError:
        if b"\r\n\r\n" not in raw:
            raise  # no answer in time
        # the header fields came; a server that keeps the connection open sent nothing more in time
    if not raw:
        raise http.client.RemoteDisconnected("the connection was closed before any response")
    fields, found, content = _final_head(raw)
    if not found:
        raise http.client.IncompleteRead(raw)
    stream = io.BytesIO(fields + b"\r\n\r\n")
    version, _, rest = stream.readline().decode("latin-1").strip().partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        raise http.client.BadStatusLine(fields[:80].decode("latin-1"))
    headers = http.client.parse_headers(stream)
    fields = list(headers.items()) + _framing(framing_problems(raw_lines(stream.getvalue())[1:]))
    return RawAnswer(int(code), reason, fields, content[:max_body], len(content) > max_body)


def _framing(problems: list[str]) -> list[tuple[str, str]]:
    return [(FRAMING_HEADER, carried(problems))] if problems else []
