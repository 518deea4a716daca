"""Session-wide PostgreSQL server for the Postgres-destination tests (one per xdist worker)."""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from tests.postgres.cluster import PostgresServer, server_bin_dir, throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    if server_bin_dir() is None:
        pytest.skip("PostgreSQL server is not installed (scripts/install_postgres.sh installs it)")
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """A fresh, empty database per test, so tests never see each other's tables."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(postgres_server.dsn)
    try:
        admin.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with admin.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
    finally:
        admin.close()
    return postgres_server.dsn.rsplit("/", 1)[0] + "/" + name
