"""Shared fixtures: a seeded database (SQLite, or PostgreSQL for tests marked
``both_databases``), the replay service, the Dash app, Chromium."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from database_helpers import BACKENDS, PgServer, pg_url_from_env
from hypothesis import settings

# Property tests draw the same examples on every run (a suite that is green stays green);
# HYPOTHESIS_PROFILE=explore draws fresh ones to hunt for new counterexamples.
# No deadline: these machines are shared and noisy, and a test must not fail on timing alone.
settings.register_profile("ntree", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ntree"))


def pytest_setup_options():
    """Options for dash[testing]'s Chrome: Debian's Chromium, headless, quiet offline."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1600,1000",
    ):
        options.add_argument(arg)
    return options


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test marked ``both_databases`` that uses a database on SQLite and PostgreSQL
    (unless it names its database itself: ``parametrize("db_backend", [...])``)."""
    test = metafunc.definition
    chosen = any("db_backend" in m.args[0] for m in test.iter_markers("parametrize"))
    if "db_backend" in metafunc.fixturenames and test.get_closest_marker("both_databases"):
        if not chosen:
            metafunc.parametrize("db_backend", BACKENDS)


@pytest.fixture
def db_backend() -> str:
    """The database a test runs on (tests marked ``both_databases`` run on each)."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL server of ``NTREE_TEST_PG_URL`` (skip when unset; fail when unusable)."""
    url = pg_url_from_env()
    if url is None:
        pytest.skip("PostgreSQL variant: set NTREE_TEST_PG_URL (a role with CREATEDB) to run it")
    server = PgServer(url)
    server.check()
    yield server
    server.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    """A PostgreSQL database with the bundled bars, built once per run (copied per test)."""
    from ntree import db
    from ntree.seed import ensure_seeded

    url = pg_server.create()
    engine = db.connect(url)
    ensure_seeded(engine)
    engine.dispose()  # a template must have no connections while it is copied
    yield url
    pg_server.drop(url)


@pytest.fixture(scope="session")
def sqlite_db_url(tmp_path_factory) -> str:
    """A SQLite file with the bundled bars, built once per test run (shared by its tests)."""
    from ntree import db
    from ntree.seed import ensure_seeded

    path = tmp_path_factory.mktemp("db") / "ntree.db"
    url = f"sqlite:///{path}"
    engine = db.connect(url)
    ensure_seeded(engine)
    engine.dispose()
    return url


@pytest.fixture
def seeded_db_url(request, db_backend):
    """A database with the bundled bars: the run's SQLite file, or on PostgreSQL a fresh
    copy of the seeded template that is dropped after the test."""
    if db_backend == "sqlite":
        yield request.getfixturevalue("sqlite_db_url")
        return
    server = request.getfixturevalue("pg_server")
    url = server.create(template=request.getfixturevalue("pg_template"))
    yield url
    server.drop(url)


@pytest.fixture
def empty_db_url(request, db_backend, tmp_path):
    """A database of the test's own with nothing in it yet (``db.connect`` builds the schema)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ntree.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
def replay_service(seeded_db_url, tmp_path):
    from ntree import db
    from ntree.service import ReplayService

    svc = ReplayService.create(db.connect(seeded_db_url), tmp_path / "cache")
    yield svc
    svc.cache.close()


@pytest.fixture
def api_client(replay_service):
    """A Flask test client on a bare server carrying only the REST API."""
    from flask import Flask

    from ntree.api import install

    server = Flask("ntree-test")
    install(server, replay_service)
    return server.test_client()


@pytest.fixture(scope="session")
def dash_app(sqlite_db_url):
    """The real multi-page app from app.py, on the seeded test database."""
    cache = Path(tempfile.mkdtemp(prefix="ntree-cache-"))
    saved = {k: os.environ.get(k) for k in ("NTREE_DB_URL", "NTREE_CACHE_DIR")}
    os.environ["NTREE_DB_URL"] = sqlite_db_url
    os.environ["NTREE_CACHE_DIR"] = str(cache)
    try:
        import app as app_module
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return app_module.app
