"""One conformance run: its state and verdict (the pytest hooks that feed it in hooks.py), the
pytest-xdist adapter (xdist.py), short-lived tokens (tokens.py), the reports the run makes itself
(synthetic.py) and known deviations (waivers.py, applied in one place by `Run.add`)."""
