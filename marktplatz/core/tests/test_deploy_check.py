import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_it_passes_the_deploy_check_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 30 + "-production-secret-key-with-enough-entropy-9f8e7d",
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "marktplatz.example.org",
        "MARKTPLATZ_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
