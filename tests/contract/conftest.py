"""The fuzzing world of tests/portal/test_api_fuzz.py, shared: the people, their objects, the
in-process WSGI application and the per-role summary."""

from tests.portal.test_api_fuzz import runs, world, wsgi_app  # noqa: F401
