"""The JSON API against its own OpenAPI schema (schemathesis, in-process through the WSGI app).

Every operation, with inputs generated from the schema (valid and invalid): no 5xx, and the
responses are those the schema documents (status codes, content types, bodies). Requests carry a
token of a dancer who owns a ready routine with moves; a demo song is ready. Half the generated
path ids are replaced by those rows' ids so the fuzzing reaches past the 404s.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.export import data_export_build
from accounts.models import DataExport
from bachata.runner import run_job
from choreography.models import Job, Routine
from choreography.services.loops import loop_create
from tests.factories import make_routine, make_song

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_test_transaction():
    """The WSGI app closes "old" connections around each request, which on PostgreSQL ends the test's
    transaction; Django's own test client disconnects the same signal handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def rows(db, owner, settings, in_test_transaction):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"routine_create": "100000/hour", "song_upload": "100000/hour"},
    }
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex},
    }
    caches["throttle"].clear()
    demo = make_song(None, title="Demo")
    routine = make_routine(owner)
    loop = loop_create(routine=routine, name="Intro", start_s=0, end_s=2)
    # A built export of the dancer's data (its job run here: the test transaction never commits).
    export = DataExport.objects.create(owner=owner)
    data_export_build(export_id=export.pk)
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.READY)
    return {
        "token": Token.objects.create(user=owner).key,
        "routine_id": routine.pk,
        "song_id": demo.pk,
        "order": 1,
        "loop_id": loop.pk,
        "export_id": export.pk,
    }


# The schema as /api/schema/ serves it, generated here at import: schemathesis's fixture-loaded
# schemas do not run under pytest 9 (they rename the test node through a private attribute).
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = get_wsgi_application()


@pytest.mark.slow  # 25 examples for each of ~20 operations
@schema.parametrize()
@schema.given(real_ids=st.booleans())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_every_operation_as_documented(case, real_ids, rows):
    if real_ids:
        for name in ("routine_id", "song_id", "order", "loop_id", "export_id"):
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = rows[name]
        if isinstance(case.body, dict):
            # A song that exists and a move of the catalog: the 202 paths get fuzzed too.
            for name, value in (("song_id", rows["song_id"]), ("slug", "side-turn")):
                if name in case.body:
                    case.body[name] = value
    case.call_and_validate(headers={"Authorization": f"Token {rows['token']}"}, checks=CHECKS, app=APP)


@pytest.mark.slow
def test_a_routine_queued_through_the_api_is_built_ready(owner, demo_song):
    """What the fuzzing queues is never run (the test transaction never commits); run one, on the
    demo song with the real catalog (without the fuzzing's stand-in rows), to see it end READY."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    response = client.post("/api/routines/", {"text": "romantic, no dips", "song_id": demo_song.pk}, format="json")
    assert response.status_code == 202
    job = Job.objects.for_subject(Routine.objects.get(pk=response.json()["id"])).get()
    run_job(job.pk)
    routine = Routine.objects.get(pk=response.json()["id"])
    assert routine.status == Routine.Status.READY, routine.error
    assert routine.video and routine.moves.exists()
