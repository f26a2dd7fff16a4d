"""A bounded schemathesis run against our own OpenAPI schema: no request may cause a server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from harken.api.keys import do_create_key

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
schema.config.phases.coverage.enabled = False  # its deterministic boundary cases are many; keep the run short


@pytest.fixture
def admin_token(org):
    return do_create_key(org.users["admin"], "fuzz", "admin")[1]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the WSGI handler must not close the connection that holds the test's
    transaction at the end of each request (PostgreSQL would then fail every later query)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_causes_a_server_error(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=[not_a_server_error])
