"""`publisher check` names the account a Bluesky destination posts as, posting nothing."""

from __future__ import annotations

import pytest

from bluesky.conftest import SESSION, Sky


def test_check_names_the_account_and_posts_nothing(sky: Sky) -> None:
    for _ in range(2):
        result = sky.project.run("check")
        assert result.code == 0, result.out + result.err
        assert (
            f"ok bluesky (bluesky): posting as @brief.test (did:plc:brieftestaccount000000) "
            f"on {sky.server.url}" in result.out
        )
    assert len(sky.server.calls(SESSION)) == 1  # the second check reused the first's session
    assert [r.path for r in sky.server.received if r.method == "POST"] == ["/xrpc/" + SESSION]
    assert sky.server.records == []


def test_check_reports_a_refused_password_without_showing_it(
    sky: Sky, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "a-wrong-app-password")
    result = sky.project.run("check")
    assert result.code == 2
    assert "failed bluesky: Bluesky refused the handle 'brief.test' with its app password" in (
        result.out
    )
    assert "a-wrong-app-password" not in result.out + result.err


def test_check_names_a_missing_password_and_asks_nothing(
    sky: Sky, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLUESKY_APP_PASSWORD")
    result = sky.project.run("check")
    assert result.code == 2
    assert "failed bluesky: environment variable BLUESKY_APP_PASSWORD is not set" in result.out
    assert sky.server.received == []
