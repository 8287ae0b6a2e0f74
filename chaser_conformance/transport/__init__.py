"""How the suite talks to a target: the client and its guarded adapter (client.py), what HTTP asks
of pooled connections (connections.py), requests sent byte for byte (verbatim.py), answers that are
not usable HTTP (answers.py), the run-wide limits (limits.py) and when a run cannot go on (stops.py)."""
