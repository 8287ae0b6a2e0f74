"""How the clients of the seed's code samples call GET /v1/sessions/{id} by default.

The headers each library sends on its own when the sample sets only Authorization, read from the
libraries' sources (the version the sample's API names): Accept, Accept-Encoding, User-Agent,
Connection and what else they add. `None`: the library sends no such header, and neither does the
suite (urllib3 adds none where it is told to skip). A server that negotiates on any of these
(an HTML error page for a missing Accept, a 406 for `application/json`, a parser that chokes on
q-values) answers one client differently from the suite's own requests.

The Connection header decides the connection handling as well (connections.py): `close` is a new
connection for the one request, closed after its answer (Ruby's); keep-alive, or no header, is a
pooled connection that is reused, as those libraries pool theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from urllib3.util import SKIP_HEADER

# What the clients ask for besides their defaults: the documented media type.
DOCUMENTED = "application/json"


@dataclass(frozen=True)
class Client:
    name: str  # the test id
    label: str  # the library, as a failure names it
    headers: dict[str, str | None]
    over_tls: dict[str, str] = field(default_factory=dict)  # what it sends instead to an https URL

    def request_headers(self, https: bool) -> dict[str, str | None]:
        """The headers to send. `None` drops a default of the suite's HTTP session (requests'); urllib3's
        SKIP_HEADER keeps urllib3 from adding its own Accept-Encoding or User-Agent."""
        chosen = {**self.headers, **(self.over_tls if https else {})}
        own = {k.lower(): v for k, v in chosen.items()}
        headers: dict[str, str | None] = {name: None for name in SESSION_DEFAULTS if name.lower() not in own}
        headers.update({k: v for k, v in chosen.items() if v is not None})
        for name in ("Accept-Encoding", "User-Agent"):
            if own.get(name.lower()) is None:
                headers[name] = SKIP_HEADER
        return headers


# The headers the suite's requests.Session adds to every request unless told not to.
SESSION_DEFAULTS = ("User-Agent", "Accept-Encoding", "Accept", "Connection")


CLIENTS = [
    # requests 2.x: utils.default_headers() (the Accept-Encoding urllib3 can decode here).
    Client(
        "python-requests",
        "Python requests",
        {
            "User-Agent": "python-requests/2.32.3",
            "Accept-Encoding": "gzip, deflate",
            "Accept": "*/*",
            "Connection": "keep-alive",
        },
    ),
    # Node.js global fetch (undici): lib/web/fetch — accept, accept-language, sec-fetch-mode, user-agent
    # "node", accept-encoding "gzip, deflate" over plain HTTP ("br, gzip, deflate" over TLS).
    Client(
        "javascript-fetch",
        "JavaScript fetch (Node.js undici)",
        {
            "Connection": "keep-alive",
            "Accept": "*/*",
            "Accept-Language": "*",
            "Sec-Fetch-Mode": "cors",
            "User-Agent": "node",
            "Accept-Encoding": "gzip, deflate",
        },
        over_tls={"Accept-Encoding": "br, gzip, deflate"},  # undici advertises br over TLS only
    ),
    # Go net/http DefaultClient: the Transport adds only User-Agent and Accept-Encoding: gzip; no Accept.
    Client(
        "go-net-http",
        "Go net/http",
        {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"},
    ),
    # Ruby Net::HTTP::Get: Accept */*, User-Agent Ruby, its q-valued Accept-Encoding; http.request
    # without http.start adds Connection: close and opens a connection for each request, as the suite
    # does for any request that says close (connections.py); the others keep theirs alive.
    Client(
        "ruby-net-http",
        "Ruby Net::HTTP",
        {
            "Accept-Encoding": "gzip;q=1.0,deflate;q=0.6,identity;q=0.3",
            "Accept": "*/*",
            "User-Agent": "Ruby",
            "Connection": "close",
        },
    ),
    # Unirest for Java 1.4 (com.mashape.unirest): user-agent and accept-encoding of HttpClientHelper;
    # Apache HttpClient 4 adds Connection: Keep-Alive; no Accept.
    Client(
        "java-unirest",
        "Java Unirest",
        {"user-agent": "unirest-java/1.3.11", "accept-encoding": "gzip", "Connection": "Keep-Alive"},
    ),
    # PHP Guzzle 7 over curl: User-Agent GuzzleHttp/7; decode_content keeps curl from sending
    # Accept-Encoding, and curl's own `Accept: */*` stays.
    Client(
        "php-guzzle",
        "PHP Guzzle",
        {"User-Agent": "GuzzleHttp/7", "Accept": "*/*", "Accept-Encoding": None},
    ),
    # RestSharp 106 (Method.GET): its Accept list, HttpWebRequest's decompression and keep-alive.
    Client(
        "csharp-restsharp",
        "C# RestSharp",
        {
            "Accept": "application/json, text/json, text/x-json, text/javascript, application/xml, text/xml",
            "User-Agent": "RestSharp/106.12.0.0",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "Keep-Alive",
        },
    ),
    # Swift URLSession.shared: CFNetwork's defaults.
    Client(
        "swift-urlsession",
        "Swift URLSession",
        {
            "Accept": "*/*",
            "Accept-Language": "en-US,en;q=0.9",
            "Accept-Encoding": "gzip, deflate, br",
            "User-Agent": "ChaserApp/1 CFNetwork/1410.0.3 Darwin/22.6.0",
            "Connection": "keep-alive",
        },
    ),
    # Any client that asks for the documented media type (generated SDKs do).
    Client(
        "accept-application-json",
        "a client that asks for application/json",
        {"Accept": DOCUMENTED, "User-Agent": "chaser-conformance", "Accept-Encoding": "gzip"},
    ),
]
