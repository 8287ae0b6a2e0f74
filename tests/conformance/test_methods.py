"""Undeclared methods are refused. Probes only ever go to ids that do not exist."""

import pytest

# OPTIONS is left out: it describes a resource (RFC 9110 §9.3.7) and CORS layers answer it everywhere.
UNDECLARED = ["POST", "PUT", "PATCH", "DELETE", "TRACE"]


@pytest.mark.parametrize("method", UNDECLARED)
def test_undeclared_method_is_refused(api, judge, absent_id, method):
    url = api.session_url(absent_id())
    # judge(): 405 with an Allow that lists GET and not the method; a 2xx or 5xx fails; a 404 is
    # accepted with an advisory (the id does not exist, so it says nothing about the method).
    exchange = judge("undeclared method", api.request(method, url))
    judge.expect("undeclared method", exchange, {404, 405}, f"{method} is not declared in openapi.yaml")
