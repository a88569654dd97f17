from __future__ import annotations

import pytest

from choreography.catalog_index import catalog_snapshot, index_path
from tests.factories import make_clip

pytestmark = pytest.mark.django_db


class TestLive:
    def test_it_works_with_and_without_the_slash(self, client):
        for url in ("/health/live", "/health/live/"):
            response = client.get(url)
            assert response.status_code == 200
            assert response.json()["status"] == "ok"
            assert response.json()["checks"]["process"]["ok"] is True
            assert "no-cache" in response["Cache-Control"]

    def test_it_needs_no_login_and_touches_nothing(self, client, settings, tmp_path):
        # Liveness must stay green while a dependency is down, or a healthy process gets restarted.
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        settings.MEDIA_ROOT = _unwritable(tmp_path)
        assert client.get("/health/live").status_code == 200


class TestReady:
    def test_it_works(self, client):
        response = client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "redis", "media"}
        assert all(check["ok"] for check in body["checks"].values())
        assert all("ms" in check and "detail" in check for check in body["checks"].values())

    def test_it_reports_redis_as_not_configured_without_redis_url(self, client, settings):
        settings.REDIS_URL = ""
        check = client.get("/health/ready/").json()["checks"]["redis"]
        assert check["ok"] is True
        assert "not configured" in check["detail"]

    def test_it_fails_on_an_unwritable_media_root(self, client, settings, tmp_path):
        settings.MEDIA_ROOT = _unwritable(tmp_path)
        response = client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "fail"
        assert body["checks"]["media"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True

    def test_it_fails_on_an_unreachable_redis(self, client, settings):
        # Port 1 refuses at once: the check fails fast rather than hanging the probe.
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["redis"]["ok"] is False
        assert response.json()["checks"]["redis"]["detail"]

    def test_it_hides_error_messages_when_debug_is_off(self, client, settings):
        settings.DEBUG = False
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        detail = client.get("/health/ready").json()["checks"]["redis"]["detail"]
        assert detail == "ConnectionError"

    def test_it_fails_when_the_database_is_down(self, client, monkeypatch):
        from django.db import OperationalError

        from bachata import health

        def broken():
            raise OperationalError("could not connect to server")

        monkeypatch.setattr(health, "check_database", broken)
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["database"]["ok"] is False

    def test_it_rejects_writes(self, client):
        assert client.post("/health/ready").status_code == 405


class TestReadyForWorkers:
    def test_an_empty_catalog_needs_no_index(self, client):
        response = client.get("/health/ready?worker=1")
        assert response.status_code == 200
        assert "nothing to index" in response.json()["checks"]["index"]["detail"]

    def test_it_fails_until_the_index_of_the_current_catalog_exists(self, client):
        make_clip("basic-step")
        response = client.get("/health/ready?worker=1")
        assert response.status_code == 503
        assert response.json()["checks"]["index"]["ok"] is False
        assert "no index" in response.json()["checks"]["index"]["detail"]

        path = index_path(catalog_snapshot().version)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"stand-in: the check looks for the file, it does not load it")
        response = client.get("/health/ready?worker=1")
        assert response.status_code == 200
        assert response.json()["checks"]["index"]["ok"] is True

    def test_the_web_check_leaves_the_index_out(self, client):
        make_clip("basic-step")
        response = client.get("/health/ready")
        assert response.status_code == 200
        assert "index" not in response.json()["checks"]


def _unwritable(tmp_path):
    # A folder "inside" a regular file cannot be created or written, even by root.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker / "media"
