"""Conformance suite for the Chaser Core API (`GET /v1/sessions/{id}`)."""
