"""A storage fault in a page callback answers a 503 JSON code with plain words (the page's
banner shows them), as the API does; the health check reads the session's row."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from flask import Flask

from ntree.service import SERVICE_KEY
from ntree.ui import faults


@pytest.fixture
def page_server(replay_service) -> Flask:
    server = Flask("ntree-pages-test")
    server.extensions[SERVICE_KEY] = replay_service
    faults.install(server)

    @server.post("/_dash-update-component")
    def _callback():
        fault = sqlite3.OperationalError("database or disk is full")
        raise sa.exc.OperationalError("INSERT INTO replay_events ...", {}, fault)

    @server.get("/health")
    def _health():
        return faults.health("no-such-session")

    return server


def test_a_full_disk_in_a_page_callback_answers_503_with_its_code_in_plain_words(page_server):
    resp = page_server.test_client().post("/_dash-update-component")

    assert resp.status_code == 503
    body = resp.get_json()["error"]
    assert body["code"] == "storage_full"
    assert body["plain"] == faults.FAULT_TEXT["storage_full"]


def test_the_health_check_answers_ok_when_the_database_reads(page_server):
    resp = page_server.test_client().get("/health")

    assert resp.status_code == 200 and resp.get_json() == {"ok": True}
