"""Settings: the embedded defaults, and production refusing to start without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_off_without_secret_key_is_a_clear_error():
    result = _check({"DEBUG": "0", "ALLOWED_HOSTS": "example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_off_without_allowed_hosts_is_a_clear_error():
    result = _check({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_production_settings_start(tmp_path):
    result = _check(
        {"DEBUG": "0", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "example.com", "BACHATA_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr


def test_a_bad_boolean_is_a_clear_error():
    result = _check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be 1/0" in result.stderr
