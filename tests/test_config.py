"""Configuration: validation naming file and key, environment references, masked secrets."""

from __future__ import annotations

import json

import pytest

from support.project import SITE, STORY, Project, recorder_config

TOKEN = "tok-8f3a9c1d2e7b"


def test_environment_references_and_defaults(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("SITE_NAME", "Harbour Herald")
    project.write_config(
        """\
        [site]
        name = "${SITE_NAME}"
        url = "${SITE_URL:-https://herald.example.org}"

        [destinations.log]
        channel = "recorder"
        path = "@ROOT@/remote/log.jsonl"
        """
    )
    result = project.run("story", "night-market.md", "--json")
    assert result.code == 2  # a bare file name is looked for as a path, not an id
    result = project.run("story", str(project.root / "stories" / "night-market.md"), "--json")
    assert json.loads(result.out)["url"] == "https://herald.example.org/stories/night-market"


def test_an_unset_variable_outside_a_secret_is_an_error_naming_the_key(project: Project) -> None:
    project.write_config(
        """\
        [site]
        url = "${SITE_URL}"
        """
    )
    result = project.run("status")
    assert result.code == 2
    assert result.err.strip() == (
        f"error: {project.config}: site.url: environment variable SITE_URL is not set"
    )


def test_an_unset_secret_is_reported_only_when_needed(project: Project) -> None:
    project.write_config(recorder_config(token="${RECORDER_TOKEN}"))
    assert project.run("publish", "--story", "night-market", "--dry-run").code == 0
    result = project.run("publish", "--story", "night-market")
    assert result.code == 2
    assert result.err.strip() == "error: log.token: environment variable RECORDER_TOKEN is not set"
    assert project.posts() == [] and not (project.root / "state").exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[site]\nnmae = "x"\n', "site.nmae: unknown key"),
        ('[site]\ntimezone = "Mars/Olympus"\n', "site.timezone: unknown timezone 'Mars/Olympus'"),
        ('[site]\nurl = "brief.example.org"\n', "site.url: must be an absolute http(s) URL"),
        ("[site\n", "invalid TOML"),
        ("[sites]\n", "unknown section [sites]"),
        (
            '[destinations.log]\nchannel = "recorder"\npath = "/tmp/x"\nfail_at = "third"\n',
            "destinations.log.fail_at: Input should be a valid integer",
        ),
        ('[destinations.log]\npath = "/tmp/x"\n', "destinations.log.channel: no channel given"),
        (
            '[destinations.log]\nchannel = "recorder"\npath = "/tmp/x"\n'
            '[schedules.weekly]\ncron = "0 8 * * mon"\nto = ["lgo"]\n',
            "schedules.weekly.to: unknown destination 'lgo' (known: log)",
        ),
        ('[delivery]\nfirst_pause = "soon"\n', "delivery.first_pause: 'soon' is not a duration"),
        (
            '[site]\nstory_url = "{site}/news/{slug}"\n',
            "site.story_url: '{site}/news/{slug}' may use only {site} and {id}",
        ),
        ('[site]\nstate = "nonsense"\n', "site.state: not a database URL such as sqlite:///"),
    ],
)
def test_configuration_errors_name_the_file_and_key(
    project: Project, config: str, message: str
) -> None:
    project.config.write_text(config, encoding="utf-8")
    result = project.run("status")
    assert result.code == 2
    assert result.err.startswith(f"error: {project.config}: ")
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_unreachable_state_database_is_a_configuration_error(project: Project) -> None:
    project.write_config(
        recorder_config().replace(
            "[site]", '[site]\nstate = "postgresql+psycopg://news:pw-5e6f7a8b@127.0.0.1:9/x"'
        )
    )
    result = project.run("publish", "--story", "night-market")
    assert result.code == 2
    assert result.err.startswith(
        "error: state database postgresql+psycopg://news:***@127.0.0.1:9/x:"
    )
    assert "pw-5e6f7a8b" not in result.err
    assert project.posts() == []


def _secret_config(project: Project, **settings: object) -> None:
    quick = '\n[delivery]\nfirst_pause = "0s"\n'
    project.write_config(recorder_config(token="${RECORDER_TOKEN}", **settings) + quick)


def test_secrets_never_reach_errors_logs_or_status(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("RECORDER_TOKEN", TOKEN)
    _secret_config(project, flaky_at=1, flaky_times=1, fail_at=2)
    result = project.run("--log-format", "json", "publish", "--story", "night-market")
    assert result.code == 1
    assert "token ********" in result.out  # the failure, scrubbed
    logged = [json.loads(line) for line in result.err.splitlines() if line.startswith("{")]
    assert any("retrying" in entry["message"] for entry in logged)
    assert all(TOKEN not in entry["message"] for entry in logged)
    assert TOKEN not in result.out + result.err
    status = project.run("status")
    assert "token ********" in status.out and TOKEN not in status.out


def test_secrets_are_masked_in_reprs(project: Project, monkeypatch) -> None:
    from publisher.workspace import Workspace

    monkeypatch.setenv("RECORDER_TOKEN", TOKEN)
    _secret_config(project)
    settings = Workspace.open(project.config).config.destinations["log"]
    assert TOKEN not in repr(settings)
    assert "Secret('${RECORDER_TOKEN}')" in repr(settings)
    assert TOKEN not in settings.model_dump_json()


def test_secrets_are_kept_out_of_previews(project: Project, monkeypatch, tmp_path) -> None:
    secrets = {
        "MASTODON_ACCESS_TOKEN": "mastodon-token-7f3e9a",
        "X_API_KEY": "x-key-5b1c2d",
        "X_API_SECRET": "x-secret-9e8d7c",
        "X_ACCESS_TOKEN": "x-token-3a4b5c",
        "X_ACCESS_TOKEN_SECRET": "x-token-secret-1f2e3d",
        "EMAIL_SIGNING_KEY": "signing-key-6c5b4a3d2e1f",
        "SMTP_URL": "smtp://newsletter:smtp-password-8d7c@127.0.0.1:2525",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    project.write_config(
        """\
        [site]
        url = "https://news.example.org"

        [destinations.newsletter]
        channel = "email"
        from = "News <news@example.org>"
        smtp = "${SMTP_URL}"

        [destinations.fediverse]
        channel = "mastodon"
        instance = "https://mastodon.example"
        access_token = "${MASTODON_ACCESS_TOKEN}"

        [destinations.x]
        channel = "x"
        """
    )
    dry = project.run("-v", "publish", "--story", "night-market", "--dry-run", "--json")
    preview = project.run("preview", "--story", "night-market", "--out", str(tmp_path / "p"))
    assert dry.code == 0 and preview.code == 0, dry.err + preview.err
    written = "".join(p.read_text() for p in (tmp_path / "p").rglob("*") if p.is_file())
    seen = dry.out + dry.err + preview.out + preview.err + written
    assert "smtp-password" not in seen and "newsletter:" not in seen.split("List-Id")[0]
    for value in secrets.values():
        assert value not in seen


def test_dry_run_destination_renders_and_records_nothing(project: Project) -> None:
    project.write_config(recorder_config(dry_run=True))
    result = project.run("publish", "--story", "night-market")
    assert result.code == 0
    assert result.out.strip() == "log: dry-run 3 parts rendered, nothing sent (dry_run)"
    assert project.posts() == []
    assert "Nothing has been published yet." in project.run("status").out


def test_embedded_defaults_apply_without_a_configuration(tmp_path, monkeypatch, capsys) -> None:
    from publisher.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "night-market.md").write_text(STORY, encoding="utf-8")
    assert main(["subscribers", "add", "ada@example.org"]) == 0
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "configuration: embedded defaults" in out
    assert "stories: " in out and "(1 files)" in out
    assert main(["publish", "--story", "night-market", "--to", "fediverse", "--dry-run"]) == 0
    assert "https://brief.example.org/stories/night-market" in capsys.readouterr().out


def test_init_writes_a_working_project(tmp_path, monkeypatch, capsys) -> None:
    from publisher.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["init", "site"]) == 0
    assert (tmp_path / "site" / "config" / "publisher.toml").is_file()
    assert (tmp_path / "site" / "templates" / "email" / "story.mjml").is_file()
    assert (tmp_path / "site" / "stories").is_dir()
    (tmp_path / "site" / "stories" / "night-market.md").write_text(STORY, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "site")
    capsys.readouterr()
    assert main(["publish", "--story", "night-market", "--dry-run", "--json"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert set(rendered["destinations"]) == {"newsletter", "fediverse", "x", "bluesky"}
    monkeypatch.chdir(tmp_path)
    assert main(["init", "site"]) == 2
    assert "already exists; init only writes into an empty project" in capsys.readouterr().err


# Settings that used to slip through: each is one line naming the file, exit code 2.


def _one_error(result) -> str:
    assert result.code == 2, result.out + result.err
    assert len(result.err.splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    return result.err.strip()


def test_a_configuration_that_is_not_utf8_names_the_line_of_the_bad_byte(project: Project) -> None:
    project.config.write_bytes(b'[site]\nname = "Caf\xe9 News"\n')  # Latin-1, as an editor saved it

    error = _one_error(project.run("status"))

    assert error == (
        f"error: {project.config}:2: byte 0xe9 is not valid UTF-8; save the file as UTF-8"
    )


def test_a_byte_order_mark_is_fine(project: Project) -> None:
    project.config.write_bytes(b"\xef\xbb\xbf" + recorder_config().encode())

    assert project.run("publish", "--story", "night-market", "--dry-run").code == 0


def test_a_missing_database_driver_names_the_package_to_install(project: Project) -> None:
    pytest.importorskip("sqlalchemy")
    if __import__("importlib.util").util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here, so its absence cannot be shown")
    url = "postgresql+psycopg2://news@127.0.0.1:9/x"
    project.write_config(recorder_config().replace("[site]", f'[site]\nstate = "{url}"'))

    error = _one_error(project.run("publish", "--story", "night-market"))

    assert error == (
        f"error: state database {url}: the database driver psycopg2 is not installed: "
        "pip install psycopg2-binary, or write postgresql+psycopg:// to use psycopg "
        "(pip install 'publisher[postgres]' installs it)"
    )
    assert project.posts() == []


PATTERNS = """
[destinations.newsletter]
channel = "email"
from = "News <news@example.org>"
smtp = "outbox:outbox"
{email}

[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "${{MASTODON_ACCESS_TOKEN}}"
{mastodon}

[destinations.x]
channel = "x"
{x}
"""


@pytest.mark.parametrize(
    ("table", "setting", "message"),
    [
        (
            "email",
            'subject = "{headline} ({author})"',
            "destinations.newsletter.subject: unknown placeholder {author}; use {headline}, "
            "{site}, {date}, {count}",
        ),
        (
            "email",
            'subject = "{headline.upper.x}"',
            "destinations.newsletter.subject: not a valid pattern",
        ),
        (
            "email",
            'digest_subject = "{site}: {lead}"',
            "destinations.newsletter.digest_subject: unknown placeholder {lead}",
        ),
        (
            "email",
            'digest_subject = "{date:%d %B} {0}"',
            "destinations.newsletter.digest_subject: a placeholder without a name",
        ),
        (
            "email",
            'unsubscribe_url = "{site}/bye?t={token}&u={user}"',
            "destinations.newsletter.unsubscribe_url: unknown placeholder {user}; use {site}, "
            "{token}, {list}",
        ),
        (
            "email",
            'unsubscribe_url = "{site}/bye?t={token}&x={token.nope}"',
            "destinations.newsletter.unsubscribe_url: not a valid pattern",
        ),
        (
            "mastodon",
            'digest_title = "{site}: week {week}"',
            "destinations.fediverse.digest_title: unknown placeholder {week}",
        ),
        (
            "x",
            'digest_title = "{site:>{width}}"',
            "destinations.x.digest_title: not a valid pattern: {site:>{width}}; only {name} or "
            "{name:format} is allowed",
        ),
        (
            "email",
            'subject = "{headline.__class__}"',
            "destinations.newsletter.subject: not a valid pattern: {headline.__class__} reaches "
            "into a value (attribute access or indexing); a placeholder names one value, as in "
            "{headline}",
        ),
        (
            "email",
            'digest_subject = "{site[0]}: {headline}"',
            "destinations.newsletter.digest_subject: not a valid pattern: {site[0]} reaches into",
        ),
        (
            "email",
            'subject = "{headline!r}"',
            "destinations.newsletter.subject: not a valid pattern: {headline!r}; only {name}",
        ),
        (
            "email",
            'unsubscribe_url = "{site}/bye?t={token}&l={list.__len__}"',
            "destinations.newsletter.unsubscribe_url: not a valid pattern: {list.__len__}",
        ),
        (
            "email",
            'confirm_url = "{site}/yes?t={token}&l={token[0]}"',
            "destinations.newsletter.confirm_url: not a valid pattern: {token[0]}",
        ),
        (
            "email",
            'archive_url = "{site}/a/{edition}?l={list.__class__}"',
            "destinations.newsletter.archive_url: not a valid pattern: {list.__class__}",
        ),
        (
            "mastodon",
            'digest_title = "{date.__class__.__name__}"',
            "destinations.fediverse.digest_title: not a valid pattern: {date.__class__.__name__}",
        ),
        ("site", 'story_url = "{site}/{id.nope}"', "site.story_url: '{site}/{id.nope}' may use"),
        ("site", 'story_url = "{site}/{id[0]}"', "site.story_url: '{site}/{id[0]}' may use"),
    ],
)
def test_unknown_placeholders_are_refused_when_the_configuration_loads(
    project: Project, table: str, setting: str, message: str
) -> None:
    tables = {"email": "", "mastodon": "", "x": "", table: setting}
    site = SITE.replace("[site]", f"[site]\n{tables.pop('site', '')}")
    project.write_config(site + PATTERNS.format(**tables))

    error = _one_error(project.run("status"))  # a command that renders nothing

    assert error.startswith(f"error: {project.config}: {message}")


def test_a_folder_at_the_configuration_path_is_refused(project: Project, monkeypatch) -> None:
    from publisher.cli import main

    folder = project.root / "settings"
    folder.mkdir()
    given = project.capsys
    given.readouterr()
    assert main(["--config", str(folder), "status"]) == 2
    monkeypatch.setenv("PUBLISHER_CONFIG", str(folder))
    assert main(["status"]) == 2
    monkeypatch.delenv("PUBLISHER_CONFIG")
    elsewhere = project.root / "elsewhere"
    (elsewhere / "config" / "publisher.toml").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert main(["status"]) == 2

    lines = given.readouterr().err.splitlines()
    hint = f"--config takes the configuration file itself, such as {folder}/config/publisher.toml"
    assert lines == [
        f"error: {folder}: is a folder; {hint}",
        f"error: {folder}: is a folder; {hint}",
        f"error: {elsewhere}/config/publisher.toml: is a folder, where the configuration "
        "file should be",
    ]
    assert not (elsewhere / "state").exists()


@pytest.mark.parametrize("name", ["../../x", "news letter", "x.y", "ünï", "a\\nb"])
def test_destination_names_are_letters_digits_dashes_and_underscores(
    project: Project, tmp_path, name: str
) -> None:
    project.write_config(
        SITE + f'[destinations."{name}"]\nchannel = "recorder"\npath = "@ROOT@/remote/x.jsonl"\n'
    )
    out = tmp_path / "previews" / "one" / "out"

    error = _one_error(project.run("preview", "--story", "night-market", "--out", str(out)))

    assert error == (  # a line break in the name is shown escaped, as \\n
        f"error: {project.config}: [destinations.{name}]: a destination name is letters, "
        "digits, '-' and '_' only (it names folders and log lines)"
    )
    assert not (tmp_path / "previews").exists() and not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            'from = "Evil\\r\\nBcc: victim@example.net <news@example.org>"',
            "destinations.newsletter.from: must be one line, without line breaks or control "
            "characters",
        ),
        (
            'from = "Evil Bcc: victim@example.net <news@example.org>"',
            "destinations.newsletter.from: 'Evil Bcc: victim@example.net <news@example.org>' "
            "holds 2 addresses; give one",
        ),
        (
            'from = "news@example.org, victim@example.net"',
            "destinations.newsletter.from: 'news@example.org, victim@example.net' holds 2 "
            "addresses",
        ),
        (
            'from = "News <news@example.org>"\nreply_to = "Desk <desk@example.org>\\nBcc: x@y.z"',
            "destinations.newsletter.reply_to: must be one line",
        ),
        (
            'from = "News <news@example.org>"\nreply_to = "Brief, The <desk@example.org>"',
            "destinations.newsletter.reply_to: 'Brief, The <desk@example.org>' holds 2 addresses; "
            "give one, such as 'News <news@example.org>' (put a name with a comma in double "
            "quotes)",
        ),
    ],
)
def test_sender_addresses_are_one_address_on_one_line(
    project: Project, setting: str, message: str
) -> None:
    project.write_config(
        SITE
        + f'\n[destinations.newsletter]\nchannel = "email"\nsmtp = "outbox:outbox"\n{setting}\n'
    )

    error = _one_error(project.run("publish", "--story", "night-market"))

    assert error.startswith(f"error: {project.config}: {message}")
    assert not (project.root / "outbox").exists()


def test_a_quoted_name_with_a_comma_is_one_address(project: Project) -> None:
    project.write_config(
        SITE + '\n[destinations.newsletter]\nchannel = "email"\nsmtp = "outbox:outbox"\n'
        'from = "\\"Brief, The\\" <news@example.org>"\n'
    )
    result = project.run("publish", "--story", "night-market", "--dry-run", "--json")
    assert result.code == 0, result.err
    headers = json.loads(result.out)["destinations"]["newsletter"]["parts"][0]["headers"]
    assert headers["From"] == '"Brief, The" <news@example.org>'
