"""Database backups: ``pg_dump -Fc`` / ``pg_restore --clean --if-exists`` on PostgreSQL,
SQLite's online backup API on SQLite. The management commands ``backup_db`` and
``restore_db`` wrap these; see the README's "Backups"."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(RuntimeError):
    """A backup or restore that cannot run (no client binary, unknown engine, failure)."""


def _engine(alias: str) -> str:
    engine = connections[alias].settings_dict["ENGINE"]
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def _pg_command(program: str, settings: dict) -> tuple[list[str], dict]:
    binary = shutil.which(program)
    if binary is None:
        raise BackupError(
            f"{program} not found: install the PostgreSQL client (apt-get install "
            "postgresql-client) matching the server's major version."
        )
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    return [binary], env


def _run(args: list[str], env: dict) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")


def backup(out: str | Path, *, alias: str = "default") -> Path:
    """Write a backup of the database ``alias`` to ``out``; returns the path."""
    out = Path(out)
    settings = connections[alias].settings_dict
    if _engine(alias) == "sqlite":
        source = sqlite3.connect(settings["NAME"])
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return out
    command, env = _pg_command("pg_dump", settings)
    _run(
        [
            *command,
            "--format=custom",
            "--no-owner",
            "--no-acl",
            "--file",
            str(out),
            "--dbname",
            settings["NAME"],
        ],
        env,
    )
    return out


def restore(source: str | Path, *, alias: str = "default", into: str | None = None) -> str:
    """Replace the tables of the database ``alias`` (or of the database named ``into`` on
    the same server, e.g. a scratch copy) with the backup ``source``, in one transaction.
    Returns the name of the database restored into."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file {source}.")
    settings = connections[alias].settings_dict
    if _engine(alias) == "sqlite":
        target_name = into or settings["NAME"]
        connections[alias].close()
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(target_name)
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return target_name
    target_name = into or settings["NAME"]
    if into is None:
        connections[alias].close()
    command, env = _pg_command("pg_restore", settings)
    _run(
        [
            *command,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            target_name,
            str(source),
        ],
        env,
    )
    return target_name
