"""`publisher check` names the account each social destination will post as, posting nothing."""

from __future__ import annotations

import pytest

from social.conftest import Social


def test_check_names_the_accounts_and_posts_nothing(social: Social) -> None:
    result = social.project.run("check")
    host = social.mastodon.url.removeprefix("http://")
    assert result.code == 0, result.out + result.err
    assert f"ok fediverse (mastodon): posting as @brief@{host}, up to 500 characters" in result.out
    assert "ok x (x): posting as @brief" in result.out
    assert social.mastodon.requests("GET", "/api/v1/accounts/verify_credentials")
    assert social.x.requests("GET", "/2/users/me")
    posts = [r for r in social.mastodon.received + social.x.received if r.method != "GET"]
    assert posts == []


def test_check_reports_refused_credentials_without_showing_them(social: Social) -> None:
    social.mastodon.token = "a-newer-token"
    social.x.access_token = "1234-a-newer-token"
    result = social.project.run("check")
    assert result.code == 2
    assert "failed fediverse: the instance refused the access token" in result.out
    assert "failed x: X refused the credentials" in result.out
    assert "2 destinations cannot publish" in result.err
    for secret in ("mastodon-test-token", "1234-x-test-token", "x-test-token-secret"):
        assert secret not in result.out + result.err


def test_check_names_missing_x_credentials(social: Social, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_ACCESS_TOKEN_SECRET")
    result = social.project.run("check")
    assert result.code == 2
    assert "failed x: environment variable X_ACCESS_TOKEN_SECRET is not set" in result.out
    assert social.x.received == []
