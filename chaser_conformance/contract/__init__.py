"""What the suite holds a server and itself to: the API's contract (spec.py, from openapi.yaml),
the forms HTTP gives a request's id and credential (forms.py), the harm model of every rule
(rules.py), the exit codes (exitcodes.py), and where these files are (layout.py). Imports nothing
else of the package."""
