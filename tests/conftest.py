"""Shared fixtures: personas (owner, stranger, staff), a temporary MEDIA_ROOT, Redis isolation, jobs,
the generation assets and demo song, the browser.

Rows come from tests/factories.py; a test module imports helpers from there or from a *_support
module, never from another test module; a fixture more than one module uses lives here.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from tests.job_support import work_off_rq

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_collection_modifyitems(items):
    # A marker from what a test needs, so none is forgotten: the rendered catalog costs minutes on a
    # fresh checkout (var/test-cache/ is empty), so every test on it is slow; the browser fixture is Chromium.
    for item in items:
        if "generation_assets" in item.fixturenames or "small_generation_assets" in item.fixturenames:
            item.add_marker(pytest.mark.slow)
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing with the production hasher costs about a second per user; tests don't need its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_in_the_request(settings):
    # Without Redis, a test's jobs run inside the request (or the commit) that queued them, so that
    # `with jobs():` ends with them done. tests/test_background.py switches to the embedded "thread" mode.
    settings.JOBS_IN_PROCESS = "sync"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Failed-login counts and throttles live in the cache: one test's must not limit the next.
    from django.conf import settings
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()
    yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    # Every test writes media under its own temporary folder, never into var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def make_user(db):
    """tests.factories.make_user, with the database open."""
    from tests.factories import make_user

    return make_user


@pytest.fixture
def owner(make_user):
    return make_user("olivia")


@pytest.fixture
def stranger(make_user):
    return make_user("sam")


@pytest.fixture
def staff(make_user):
    return make_user("stella", staff=True)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(client, stranger):
    client.force_login(stranger)
    return client


@pytest.fixture
def api(owner):
    """The JSON API's client, authenticated as the owner."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture(scope="session", autouse=True)
def _clean_redis_test_db():
    # Jobs left in the test Redis database by an earlier run must not run in this one.
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()
    yield


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """`with jobs():` runs the on-commit callbacks (job dispatch), then any job RQ holds."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        work_off_rq()

    return run


@pytest.fixture
def staff_client(staff):
    """A staff member who curates the catalog: staff, not superuser, with the catalog's model permissions."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="choreography"))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup, django_db_blocker):
    """Live-server request threads can leave a PostgreSQL session open on the test database; end them
    before pytest-django drops it, so the drop never fails with "being accessed by other users"."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright), one per test module."""
    from tests.browser_support import chromium

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses database
    # work where a loop runs; the test's own ORM calls are plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with chromium() as browser:
            yield browser


@pytest.fixture(scope="module")
def test_video(tmp_path_factory):
    """A short video with a click track, standing in for a routine's video in player tests."""
    from tests.media_factory import write_test_video

    return write_test_video(tmp_path_factory.mktemp("video") / "routine.mp4")


@pytest.fixture
def move(db):
    """One short beginner move in closed position (the whole catalog takes minutes to render)."""
    from choreography.models import Move

    return Move.objects.create(
        slug="basic-in-place",
        name="Basic in Place",
        description="Weight changes on the spot.",
        level="beginner",
        counts=8,
        start_position="closed",
        end_position="closed",
    )


@pytest.fixture(scope="session")
def generation_assets():
    """The rendered catalog clips, their motion features and the analysed demo song, cached under
    var/test-cache/ across sessions (tests/generation_support.py)."""
    from tests.generation_support import build_generation_assets

    return build_generation_assets()


@pytest.fixture
def demo_song(db, settings, generation_assets):
    """A catalog ready to generate from and the ready demo song "Fuego Lento" (90 s at 142 BPM)."""
    from tests.generation_support import install_generation_assets

    return install_generation_assets(generation_assets)


@pytest.fixture(scope="session")
def small_generation_assets():
    """A few moves' rendered clips and the analysed demo song (tests/demo_support.py), cached."""
    from tests.demo_support import build_small_generation_assets

    return build_small_generation_assets()


@pytest.fixture
def small_catalog(db, small_generation_assets):
    """A few moves ready to generate from (tests/demo_support.SMALL_CATALOG) and the demo song "Fuego Lento"."""
    from tests.demo_support import SMALL_CATALOG
    from tests.generation_support import install_generation_assets

    return install_generation_assets(small_generation_assets, slugs=SMALL_CATALOG)


# --- media in an S3-compatible bucket -------------------------------------------------------------------------
# .ci/run starts moto's server on loopback and names it in MEDIA_S3_TEST_ENDPOINT_URL; without it (a
# developer's machine) the first test that needs a bucket starts moto's threaded server in this process.


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    url = os.environ.get("MEDIA_S3_TEST_ENDPOINT_URL", "")
    if url:
        yield url
        return
    import logging
    import socket

    from moto.server import ThreadedMotoServer

    # moto's server logs every request it answers; the tests' output needs none of them.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def bucket_storage_settings(bucket: str, endpoint: str) -> dict:
    """settings.STORAGES with media in `bucket` of the S3-compatible server at `endpoint`."""
    from django.conf import settings

    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "default_acl": None,
            },
        },
    }


@pytest.fixture
def media_bucket(settings, s3_endpoint, monkeypatch, tmp_path):
    """Media in a fresh bucket on the loopback S3 server, and a scratch folder of this test's own. Returns
    the bucket's name."""
    import uuid

    import boto3

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    settings.MEDIA_BUCKET = bucket
    settings.MEDIA_S3_ENDPOINT_URL = s3_endpoint
    settings.STORAGES = bucket_storage_settings(bucket, s3_endpoint)
    settings.MEDIA_SCRATCH_DIR = tmp_path / "scratch"
    return bucket


@pytest.fixture
def bucket_keys(media_bucket, s3_endpoint):
    """`bucket_keys()`: the names stored in this test's bucket, sorted."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")

    def keys() -> list[str]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=media_bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    return keys
