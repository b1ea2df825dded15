"""The deployment files say what the README says: roles, migrations first, health checks."""

from __future__ import annotations

import configparser
from pathlib import Path

import yaml

from config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_postgres_a_migration_a_poller_and_senders() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "worker", "sender"}
    assert services["migrate"]["command"] == ["python", "-m", "digests.store", "upgrade"]
    roles = {name: services[name]["environment"]["WORKER_ROLE"] for name in ("worker", "sender")}
    assert roles == {"worker": "all", "sender": "sender"}
    for name in ("worker", "sender"):
        environment = services[name]["environment"]
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        # What the workers are given must be settings the worker accepts.
        settings = load_settings(
            _env_file=None, **{k.lower(): v for k, v in environment.items()
                              if k != "DATABASE_URL"},
            database_url=environment["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-digestbot}",
                                                             "pw"),
        )
        assert settings.database_url_value.startswith("postgresql+asyncpg://")
        assert settings.metrics_port == 9100 and settings.log_format == "json"


def test_systemd_unit_names_the_role_and_migrates_before_starting() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string((ROOT / "deploy" / "digestbot@.service").read_text())
    service = unit["Service"]
    assert service["Environment"] == "WORKER_ROLE=%i"
    assert service["ExecStartPre"].endswith("python -m digests.store upgrade")
    assert service["ExecStart"].endswith("python -m bot")
    assert service["KillSignal"] == "SIGTERM"


def test_procfile_and_dockerfile_run_the_worker() -> None:
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line
    )
    assert procfile["release"].strip() == "python -m digests.store upgrade"
    assert procfile["sender"].strip() == "env WORKER_ROLE=sender python -m bot"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "bot"]' in dockerfile and "/healthz" in dockerfile
    assert "USER digestbot" in dockerfile
