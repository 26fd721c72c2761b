"""Shared fixtures: a seeded SQLite database, the replay service, the Dash app, Chromium."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a suite that is green stays green);
# HYPOTHESIS_PROFILE=explore draws fresh ones to hunt for new counterexamples.
settings.register_profile("ntree", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
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


@pytest.fixture(scope="session")
def seeded_db_url(tmp_path_factory) -> str:
    """A SQLite file with the bundled bars, built once per test run."""
    from ntree import db
    from ntree.seed import ensure_seeded

    path = tmp_path_factory.mktemp("db") / "ntree.db"
    url = f"sqlite:///{path}"
    engine = db.connect(url)
    ensure_seeded(engine)
    engine.dispose()
    return url


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
def dash_app(seeded_db_url):
    """The real multi-page app from app.py, on the seeded test database."""
    cache = Path(tempfile.mkdtemp(prefix="ntree-cache-"))
    saved = {k: os.environ.get(k) for k in ("NTREE_DB_URL", "NTREE_CACHE_DIR")}
    os.environ["NTREE_DB_URL"] = seeded_db_url
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
