"""The plugin host: entry points, built-ins registered the same way, broken plugins survived.

Every hook has a test named after it here (checked by `test_every_hook_has_a_test`).
"""

from __future__ import annotations

import inspect
import json
import mailbox
import os
import re
import socket
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from publisher import Channel, ConfigError, Part, Rendition, hookimpl, hookspecs
from publisher.cli import cli
from publisher.edition import single
from publisher.job_book import BOUNCES
from publisher.jobs import run_bounces
from publisher.loading import StoryDraft
from publisher.plugins import load_plugins
from publisher.run_history import History
from publisher.workspace import Workspace
from support.project import REPOSITORY, Project, recorder_config, recorder_table

BROKEN = Path(__file__).parent / "support" / "broken"
FAULTY = Path(__file__).parent / "support" / "faulty"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("publisher_"))


def plugin_rows(project: Project) -> dict[str, dict]:
    result = project.run("plugins", "--json")
    assert result.code == 0, result.err
    return {row["name"]: row for row in json.loads(result.out)}


def test_plugins_lists_versions_hooks_and_channels(project: Project) -> None:
    rows = plugin_rows(project)
    assert rows["email"]["channels"] == ["email"]
    assert rows["mastodon"]["channels"] == ["mastodon"]
    assert rows["x"]["channels"] == ["x"]
    assert rows["recorder"] == {
        "name": "recorder",
        "version": "1.0",
        "hooks": ["publisher_register_channels"],
        "channels": ["recorder"],
        "error": None,
    }
    assert rows["hello"]["hooks"] == ["publisher_register_commands"]
    assert rows["publisher.loaders.text_export"]["hooks"] == ["publisher_load_story"]
    table = project.run("plugins").out
    assert "recorder" in table and "1.0" in table


def test_a_plugin_that_fails_to_import_is_reported_and_skipped(
    project: Project, monkeypatch
) -> None:
    monkeypatch.syspath_prepend(str(BROKEN))
    rows = plugin_rows(project)
    assert (
        rows["broken"]["error"]
        == "ModuleNotFoundError: No module named 'a_module_that_is_not_installed'"
    )
    assert rows["broken"]["version"] == "2.0"
    assert rows["recorder"]["error"] is None
    published = project.run("publish", "--story", "night-market")
    assert published.code == 0, published.err
    assert len(project.posts()) == 3


def test_a_plugin_failing_at_start_up_is_reported_and_the_rest_works(
    project: Project, monkeypatch
) -> None:
    monkeypatch.syspath_prepend(str(FAULTY))
    rows = plugin_rows(project)
    assert rows["faulty"]["error"] == "RuntimeError: commands are broken"
    assert project.run("hello").out == "Hello editor, from Test News.\n"
    published = project.run("publish", "--story", "night-market")
    assert published.code == 0, published.err
    assert len(project.posts()) == 3


def test_a_failing_prepare_hook_stops_the_run_before_anything_is_sent(project: Project) -> None:
    class Tracker:
        @hookimpl
        def publisher_prepare_edition(self, edition, destination):
            raise KeyError("utm_source")

    workspace = _workspace_with(project, Tracker())
    edition = single(workspace.find_story("night-market").story)
    with pytest.raises(ConfigError) as refused:
        workspace.publish([(workspace.destinations()[0], edition)])
    assert str(refused.value).startswith(
        "log: plugin Tracker failed in publisher_prepare_edition: KeyError: 'utm_source'"
    )
    assert project.posts() == []


def test_a_failing_published_hook_is_logged_and_the_run_goes_on(project: Project, caplog) -> None:
    project.write_config(recorder_config() + recorder_table("other"))

    class Notifier:
        @hookimpl
        def publisher_published(self, edition, destination, receipt):
            raise ConnectionError("chat server down")

    workspace = _workspace_with(project, Notifier())
    edition = single(workspace.find_story("night-market").story)
    outcomes = workspace.publish([(d, edition) for d in workspace.destinations()])
    assert [outcome.status for outcome in outcomes] == ["sent", "sent"]
    assert "plugin Notifier failed in publisher_published: ConnectionError" in caplog.text


def test_a_broken_plugin_is_named_when_its_channel_is_missing(
    project: Project, monkeypatch
) -> None:
    monkeypatch.syspath_prepend(str(BROKEN))
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "broken")
    result = project.run("publish", "--story", "night-market")
    assert result.code == 2
    assert "unknown channel 'recorder'" in result.err
    assert "plugins that failed to load: broken (publisher plugins)" in result.err


def test_load_plugins_variable_restricts_loading(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "recorder, x")
    assert {name for name in plugin_rows(project) if "." not in name} == {"recorder", "x"}
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "")
    assert all(name.startswith("publisher.") for name in plugin_rows(project))


class _Mute(Channel):
    name = "mute"

    def render(self, edition, destination):
        return Rendition((Part(edition.lead.headline),))


@pytest.mark.parametrize(
    ("registered", "error"),
    [
        ("not a class", "register() takes a Channel subclass, not 'not a class'"),
        (type("Nameless", (Channel,), {}), "channel class Nameless has no name"),
        (
            type("Twin", (Channel,), {"name": "recorder"}),
            "channel 'recorder' is already registered",
        ),
    ],
)
def test_publisher_register_channels_checks_what_it_is_given(registered, error) -> None:
    class Careless:
        @hookimpl
        def publisher_register_channels(self, register):
            register(_Mute)
            register(registered)

    plugins = load_plugins(extra=[Careless()])
    [broken] = plugins.broken
    assert broken.name.startswith("Careless")
    assert broken.version == "local"
    assert error in broken.error
    assert "mute" not in plugins.channels, "a failed registration leaves nothing behind"
    assert "recorder" in plugins.channels


def _workspace_with(project: Project, *plugins: object) -> Workspace:
    return Workspace.open(project.config, plugins=load_plugins(extra=plugins))


def test_publisher_load_story_lets_a_plugin_add_a_format(project: Project) -> None:
    class IniLoader:
        @hookimpl
        def publisher_load_story(self, path):
            if path.suffix != ".ini":
                return None
            lines = path.read_text().splitlines()
            fields = dict(line.split("=", 1) for line in lines if "=" in line)
            return StoryDraft(path, fields, {(key,): n for n, key in enumerate(fields, 1)})

    workspace = _workspace_with(project, IniLoader())
    path = project.add_story("brief.ini", "headline=Tram Line Opens\nsummary=Trams run from May.\n")
    project.add_story("README", "Not a story: no loader claims it, so the folder scan skips it.")
    loaded = workspace.load_story(path)
    assert loaded.story.headline == "Tram Line Opens"
    assert loaded.origins["summary"] == "line 2"
    assert loaded.story.url == "https://news.example.org/stories/brief"
    assert {story.id for story in workspace.stories} == {"brief", "night-market"}
    assert workspace.find_story("brief").story.headline == "Tram Line Opens"


def test_publisher_prepare_edition_changes_only_its_destinations_copy(project: Project) -> None:
    project.write_config(recorder_config() + recorder_table("other"))

    class Shouting:
        @hookimpl
        def publisher_prepare_edition(self, edition, destination):
            if destination.name == "log":
                edition.lead.headline = edition.lead.headline.upper()

    workspace = _workspace_with(project, Shouting())
    edition = single(workspace.find_story("night-market").story)
    renders = {d.name: workspace.render(edition, d) for d in workspace.destinations()}
    assert renders["log"].parts[0].text == "HARBOUR OPENS A NIGHT MARKET"
    assert renders["other"].parts[0].text == "Harbour Opens a Night Market"
    assert edition.lead.headline == "Harbour Opens a Night Market"


def test_publisher_published_receives_the_receipt(project: Project) -> None:
    receipts = []

    class Watcher:
        @hookimpl
        def publisher_published(self, edition, destination, receipt):
            receipts.append((edition.id, destination.name, receipt))

    workspace = _workspace_with(project, Watcher())
    edition = single(workspace.find_story("night-market").story)
    workspace.publish([(workspace.destinations()[0], edition)])
    [(edition_id, destination, receipt)] = receipts
    assert (edition_id, destination) == ("story-night-market", "log")
    assert [part.id for part in receipt.parts] == ["1", "2", "3"]
    assert receipt.url == "https://recorder.example/1"
    workspace.publish([(workspace.destinations()[0], edition)])
    assert len(receipts) == 1, "a skipped publication is not announced again"


def test_publisher_template_dirs_sit_between_the_user_and_the_defaults(
    project: Project, tmp_path: Path
) -> None:
    plugin_dir = tmp_path / "plugin-templates"
    (plugin_dir / "x").mkdir(parents=True)
    (plugin_dir / "x" / "post.txt").write_text("From the plugin: {{ headline }} {{ url }}")

    class Themes:
        @hookimpl
        def publisher_template_dirs(self):
            return [plugin_dir]

    project.write_config(
        """\
        [site]
        url = "https://news.example.org"

        [destinations.x]
        channel = "x"
        """
    )
    workspace = _workspace_with(project, Themes())
    edition = single(workspace.find_story("night-market").story)
    [x] = workspace.destinations()
    assert workspace.render(edition, x).parts[0].text.startswith("From the plugin: Harbour")

    user = project.root / "templates" / "x"
    user.mkdir(parents=True)
    (user / "post.txt").write_text("Ours: {{ headline }} {{ url }}")
    workspace = _workspace_with(project, Themes())
    [x] = workspace.destinations()
    assert workspace.render(edition, x).parts[0].text.startswith("Ours: Harbour")


def test_publisher_register_commands_adds_a_working_command(project: Project) -> None:
    result = project.run("hello", "Ada")
    assert result.code == 0, result.err
    assert result.out == "Hello Ada, from Test News.\n"
    assert "hello" in project.run("--help").out


def test_publisher_register_routes_adds_a_page_to_publisher_serve(project: Project) -> None:
    class Greeter:
        @hookimpl
        def publisher_register_routes(self, register):
            def hello(request, web):
                name = request.query_params.get("name", "reader")
                return web.page(request, "pages/error.html", title="Hello", message=f"Hi {name}")

            register("/hello", hello, title="Say hello")

    from support.web import LiveServer

    server = LiveServer().start(project.config, plugins=[Greeter()])
    try:
        with server.client() as browser:
            page = browser.get("/hello", params={"name": "<Ada>"})
            home = browser.get("/")
    finally:
        server.stop()
    assert page.status_code == 200
    assert "Hi &lt;Ada&gt;" in page.text and "<title>Hello · Test News</title>" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert '<a href="/hello">Say hello</a>' in home.text


def test_publisher_serve_check_stops_serve_before_it_listens(project: Project) -> None:
    from support.web import free_port

    class Picky:
        @hookimpl
        def publisher_serve_check(self, destinations):
            return [f"{d.name}: the pages need HOOK_TOKEN" for d in destinations]

    port = free_port()
    arguments = ["--config", str(project.config), "serve", "--port", str(port)]
    plugins = load_plugins(extra=[Picky()])

    with pytest.raises(ConfigError, match=r"^log: the pages need HOOK_TOKEN$"):
        cli.main(args=arguments, prog_name="publisher", obj=plugins, standalone_mode=False)
    with socket.create_server(("127.0.0.1", port)):
        pass  # nothing listens there


@pytest.mark.parametrize(
    ("path", "endpoint", "options", "error"),
    [
        ("hello", lambda: None, {}, "ValueError: register(): 'hello' is not a path"),
        ("/hello", "not callable", {}, "TypeError: register(): the endpoint of /hello is not"),
        ("/hello", lambda session: None, {}, "asks for session; endpoints may take request, web"),
        ("/hello", lambda: None, {"methods": ["DELETE"]}, "methods must be GET and/or POST"),
        ("/healthz", lambda: None, {}, "/healthz is already served by publisher.web.core"),
        ("/hook", lambda: None, {"max_body": 0}, "max_body of /hook must be a number of bytes"),
        ("/hook", lambda: None, {"max_body": "1MB"}, "from 1 to 10485760, not '1MB'"),
        ("/hook", lambda: None, {"max_body": 11 * 1024 * 1024}, "from 1 to 10485760"),
    ],
)
def test_publisher_register_routes_checks_what_it_is_given(path, endpoint, options, error) -> None:
    from publisher.web.routes import collect_routes

    class Careless:
        @hookimpl
        def publisher_register_routes(self, register):
            register("/fine", lambda: None)
            register(path, endpoint, **options)

    plugins = load_plugins(extra=[Careless()])
    routes = collect_routes(plugins)
    [broken] = [b for b in plugins.broken if b.name.startswith("Careless")]
    assert error in broken.error
    assert "/fine" not in {route.path for route in routes}, "a failed plugin leaves no page"
    assert {"/healthz", "/unsubscribe", "/archive"} <= {route.path for route in routes}


NOTES = {
    "n1_notes.py": '''"""A table of the plugin's own."""

import sqlalchemy as sa
from alembic import op

revision = "n1"
down_revision = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
''',
    "n2_author.py": '''"""Who wrote each note."""

import sqlalchemy as sa
from alembic import op

revision = "n2"
down_revision = "n1"


def upgrade():
    op.add_column("notes", sa.Column("author", sa.String(100)))
''',
}


def test_publisher_migrations_gives_a_plugin_its_own_history(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "notes_migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "versions" / "n1_notes.py").write_text(NOTES["n1_notes.py"])

    class Notes:
        @hookimpl
        def publisher_migrations(self):
            return ("notes", folder)

    state = _workspace_with(project, Notes()).state
    with state.engine.begin() as db:
        db.execute(text("INSERT INTO notes (text) VALUES ('kept')"))
    state.engine.dispose()
    (folder / "versions" / "n2_author.py").write_text(NOTES["n2_author.py"])

    state = _workspace_with(project, Notes()).state
    assert [(c.history, c.before, c.after) for c in state.upgrade()] == [
        ("notes", ("n1",), ("n2",))
    ]
    with state.engine.begin() as db:
        assert db.execute(text("SELECT text, author FROM notes")).all() == [("kept", None)]
    state.engine.dispose()
    current = project.run("db", "current")
    core, bluesky, email, notes = current.out.splitlines()
    assert re.fullmatch(r"core: \S+ \(head\)", core) and re.fullmatch(r"email: \S+ \(head\)", email)
    assert re.fullmatch(r"bluesky: \S+ \(head\)", bluesky)
    assert notes == "notes: n2 (no installed plugin declares this history)"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("notes", "publisher_migrations() must return (name, folder), not 'notes'"),
        (("Notes", "."), "publisher_migrations() gave the name 'Notes': use lower-case"),
        (("core", "."), "publisher_migrations() gave the name 'core', which another history"),
        (("notes", "nowhere"), "publisher_migrations() gave the folder nowhere, which has no"),
    ],
)
def test_publisher_migrations_checks_what_it_is_given(project: Project, answer, error) -> None:
    class Careless:
        @hookimpl
        def publisher_migrations(self):
            return answer

    workspace = _workspace_with(project, Careless())
    with pytest.raises(ConfigError) as refused:
        workspace.state.engine  # noqa: B018
    assert str(refused.value).startswith("plugin Careless")
    assert error in str(refused.value)
    assert not (project.root / "state").exists(), "nothing made"


def test_publisher_migrations_with_a_broken_revision_file_stops_in_one_line(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "notes_migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "versions" / "n1_notes.py").write_text("revision = 'n1'\ndef upgrade(:\n")

    class Notes:
        @hookimpl
        def publisher_migrations(self):
            return ("notes", folder)

    with pytest.raises(ConfigError) as refused:
        _workspace_with(project, Notes()).state.engine  # noqa: B018
    message = str(refused.value)
    assert message.startswith("state database sqlite:///")
    assert f": the notes migrations in {folder}: " in message
    assert "\n" not in message


def test_every_hook_has_a_test() -> None:
    source = Path(__file__).read_text()
    missing = [hook for hook in HOOKS if not re.search(rf"def test_{hook}\w*\(", source)]
    assert not missing, f"hooks without a test named after them: {missing}"


def test_every_hook_is_documented_with_its_signature() -> None:
    documentation = (REPOSITORY / "docs" / "plugins.md").read_text()
    for hook in HOOKS:
        signature = f"{hook}{inspect.signature(getattr(hookspecs, hook))}"
        assert f"`{signature}`" in documentation, f"docs/plugins.md lacks `{signature}`"


def test_documented_examples_are_the_tested_code() -> None:
    documentation = (REPOSITORY / "docs" / "plugins.md").read_text()
    webhook = (REPOSITORY / "examples" / "plugin-webhook" / "publisher_webhook.py").read_text()
    assert f"```python\n{webhook}```" in documentation
    hello = (Path(__file__).parent / "support" / "plugins" / "publisher_hello.py").read_text()
    command = hello[hello.index("@click.command()") :]
    assert command in documentation
    loader = inspect.getsource(test_publisher_load_story_lets_a_plugin_add_a_format)
    body = loader[loader.index("        @hookimpl") : loader.index("    workspace =")]
    assert inspect.cleandoc(body.replace("self, ", "")) in documentation
    lean = (LEAN / "publisher_lean.py").read_text()
    for hook in ("publisher_prepare_edition", "publisher_published"):
        start = lean.index(f"@hookimpl\ndef {hook}(")
        example = lean[start : lean.index("\n\n\n", start)]
        assert example in documentation, f"docs/plugins.md lacks publisher_lean.{hook}"


def test_publisher_status_adds_a_plugins_lines_to_status(project: Project, capsys) -> None:
    class Figures:
        @hookimpl
        def publisher_status(self, destinations):
            return [f"{d.name}: 12 readers" for d in destinations] + ["warning: log: too quiet"]

    plugins = load_plugins(extra=[Figures()])
    arguments = ["--config", str(project.config), "status"]

    cli.main(args=arguments, prog_name="publisher", obj=plugins, standalone_mode=False)

    shown = capsys.readouterr().out
    assert "log: 12 readers\nwarning: log: too quiet\nNothing has been published yet." in shown


def test_publisher_fetch_bounces_answers_the_bounces_job(project: Project) -> None:
    mailbox.Maildir(project.root / "bounces", create=True)
    project.write_config(
        recorder_config()
        + '\n[destinations.newsletter]\nchannel = "email"\nfrom = "news@example.org"\n'
        'smtp = "outbox:outbox"\nbounce_mailbox = "maildir:bounces"\n'
        '\n[bounces]\nevery = "15m"\n'
    )

    run_bounces(str(project.config), str(project.root))

    engine = Workspace.open(project.config).state.engine
    run = History(engine).last()[BOUNCES]
    assert run["outcome"] == "done"
    assert run["message"] == (
        f"newsletter: 0 message(s) read from Maildir {project.root / 'bounces'}: 0 bounce(s), "
        "0 complaint(s), 0 already counted, 0 ignored"
    )


# Hooks are called through pluggy: an implementation declares only the arguments it uses ------

LEAN = Path(__file__).parent / "support" / "lean"
WITH_ARGUMENTS = [hook for hook in HOOKS if inspect.signature(getattr(hookspecs, hook)).parameters]


@pytest.fixture
def lean(monkeypatch):
    """The `lean` plugin installed: every hook implemented with fewer arguments than it has."""
    monkeypatch.syspath_prepend(str(LEAN))
    import publisher_lean

    publisher_lean.CALLED.clear()
    return publisher_lean


def _not_broken(project: Project) -> None:
    row = plugin_rows(project)["lean"]
    assert row["error"] is None, row["error"]
    assert set(row["hooks"]) == set(HOOKS) - {"publisher_template_dirs", "publisher_migrations"}


def test_every_hook_with_arguments_is_tested_with_fewer(lean) -> None:
    source = Path(__file__).read_text()
    missing = [
        hook
        for hook in WITH_ARGUMENTS
        if not re.search(rf"def test_{hook}_with_fewer_arguments\(", source)
    ]
    assert not missing, f"hooks without a test of an implementation taking fewer: {missing}"
    for hook in WITH_ARGUMENTS:
        declared = inspect.signature(getattr(lean, hook)).parameters
        specified = inspect.signature(getattr(hookspecs, hook)).parameters
        assert set(declared) < set(specified), f"publisher_lean.{hook} declares them all"


def test_publisher_register_channels_with_fewer_arguments(project: Project, lean) -> None:
    _not_broken(project)
    assert "publisher_register_channels" in lean.CALLED


def test_publisher_load_story_with_fewer_arguments(project: Project, lean) -> None:
    result = project.run("story", str(project.root / "stories" / "night-market.md"), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["headline"] == "Harbour Opens a Night Market"
    assert "publisher_load_story" in lean.CALLED


def test_publisher_prepare_edition_with_fewer_arguments(project: Project, lean) -> None:
    result = project.run("publish", "--story", "night-market", "--dry-run")
    assert result.code == 0, result.err
    assert "[lean] Harbour Opens a Night Market" in result.out


def test_publisher_published_with_fewer_arguments(project: Project, lean) -> None:
    result = project.run("publish", "--story", "night-market")
    assert result.code == 0, result.err
    assert "lean: announced https://recorder.example/1" in result.out
    assert project.posts()[0]["text"] == "[lean] Harbour Opens a Night Market"


def test_publisher_register_commands_with_fewer_arguments(project: Project, lean) -> None:
    _not_broken(project)
    assert "publisher_register_commands" in lean.CALLED
    assert project.run("hello").out == "Hello editor, from Test News.\n"


@pytest.mark.slow
def test_publisher_register_routes_with_fewer_arguments(project: Project, lean, monkeypatch):
    """Through `publisher serve` itself, traced: the implementation that takes no `register`
    is called, and the pages are served."""
    from support.web import free_port, spawn_serve, stop

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(LEAN), os.environ["PYTHONPATH"]]))
    monkeypatch.setenv("PUBLISHER_TRACE_PLUGINS", "1")
    port = free_port()
    server = spawn_serve(project, port)
    try:
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        _, err = stop(server)
    assert home.status_code == 200
    assert re.search(r"publisher_register_routes\(register=<function .*\) by lean -> \[\]\n", err)
    assert "failed in publisher_register_routes" not in err


def test_publisher_serve_check_with_fewer_arguments(project: Project, lean) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = project.run("serve", "--port", str(port))
    assert result.code == 2, "past the check, the busy port stops it"
    assert f"cannot listen on 127.0.0.1:{port}" in result.err
    assert "publisher_serve_check" in lean.CALLED
    _not_broken(project)


def test_publisher_status_with_fewer_arguments(project: Project, lean) -> None:
    result = project.run("status")
    assert result.code == 0, result.err
    assert "lean: all quiet\nNothing has been published yet." in result.out


def test_publisher_fetch_bounces_with_fewer_arguments(project: Project, lean) -> None:
    project.write_config(recorder_config() + '\n[bounces]\nevery = "15m"\n')
    run_bounces(str(project.config), str(project.root))
    run = History(Workspace.open(project.config).state.engine).last()[BOUNCES]
    assert (run["outcome"], run["message"]) == ("done", "lean: no bounce mailbox")


def test_a_hookwrapper_wraps_each_plugins_call(project: Project) -> None:
    seen = []

    class Loud:
        @hookimpl
        def publisher_prepare_edition(self, edition):
            edition.lead.headline = edition.lead.headline.upper()

    class Watching:
        @hookimpl(wrapper=True)
        def publisher_prepare_edition(self, edition):
            before = edition.lead.headline
            result = yield
            seen.append((before, edition.lead.headline))
            return result

    workspace = _workspace_with(project, Loud(), Watching())
    edition = single(workspace.find_story("night-market").story)
    [log] = workspace.destinations()
    assert workspace.render(edition, log).parts[0].text == "HARBOUR OPENS A NIGHT MARKET"
    assert seen == [("Harbour Opens a Night Market", "HARBOUR OPENS A NIGHT MARKET")]


def test_a_hookwrapper_alone_still_runs(project: Project) -> None:
    class Marking:
        @hookimpl(wrapper=True)
        def publisher_prepare_edition(self, edition):
            result = yield
            edition.lead.headline += " (checked)"
            return result

    workspace = _workspace_with(project, Marking())
    edition = single(workspace.find_story("night-market").story)
    [log] = workspace.destinations()
    assert workspace.render(edition, log).parts[0].text == "Harbour Opens a Night Market (checked)"


def test_a_failing_hookwrapper_is_named_like_the_plugin_it_wraps(project: Project) -> None:
    class Failing:
        @hookimpl(wrapper=True)
        def publisher_prepare_edition(self):
            yield
            raise ValueError("wrapped badly")

    workspace = _workspace_with(project, Failing())
    edition = single(workspace.find_story("night-market").story)
    with pytest.raises(ConfigError) as refused:
        workspace.publish([(workspace.destinations()[0], edition)])
    assert "plugin Failing" in str(refused.value) and "ValueError: wrapped badly" in str(
        refused.value
    )
    assert project.posts() == []


# PUBLISHER_TRACE_PLUGINS ------------------------------------------------------------------------


def test_trace_plugins_shows_each_hook_call(project: Project, lean, monkeypatch) -> None:
    monkeypatch.setenv("PUBLISHER_TRACE_PLUGINS", "1")
    result = project.run("publish", "--story", "night-market", "--dry-run")
    assert result.code == 0, result.err
    [prepare] = [line for line in result.err.splitlines() if "publisher_prepare_edition(" in line]
    assert prepare.startswith(
        "INFO publisher.trace: publisher_prepare_edition(edition=Edition(id='story-night-market'"
    )
    assert ", destination=Destination(name='log'" in prepare
    assert prepare.endswith(" by lean -> []")
    assert len(prepare) < 400, "arguments are shortened"
    assert "publisher_register_channels(register=<function" in result.err


def test_trace_plugins_names_the_error(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("PUBLISHER_TRACE_PLUGINS", "1")
    monkeypatch.syspath_prepend(str(FAULTY))
    result = project.run("--log-format", "json", "plugins")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.err.splitlines()]
    [failed] = [
        line
        for line in lines
        if line.get("hook") == "publisher_register_commands" and line["plugins"] == ["faulty"]
    ]
    assert failed["level"] == "info" and failed["logger"] == "publisher.trace"
    assert failed["error"] == "RuntimeError: commands are broken"
    assert failed["arguments"] == {"cli": "<Group cli>"}
    assert "result" not in failed


def test_trace_plugins_keeps_json_logs_json(project: Project, lean, monkeypatch) -> None:
    monkeypatch.setenv("PUBLISHER_TRACE_PLUGINS", "1")
    monkeypatch.setenv("RECORDER_TOKEN", "s3cret-token-value")
    project.write_config(recorder_config(token="${RECORDER_TOKEN}"))
    result = project.run("--log-format", "json", "publish", "--story", "night-market")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.err.splitlines()]
    hooks = [line["hook"] for line in lines if line.get("event") == "hook_call"]
    assert hooks[0] == "publisher_register_commands", "plugins loading are traced too"
    assert {
        "publisher_register_channels",
        "publisher_load_story",
        "publisher_prepare_edition",
        "publisher_published",
    } <= set(hooks)
    [published] = [
        line
        for line in lines
        if line.get("hook") == "publisher_published" and line["plugins"] == ["lean"]
    ]
    assert set(published["arguments"]) == {"edition", "destination", "receipt"}
    assert published["result"] == "[]"
    assert "s3cret-token-value" not in result.err


def test_without_the_variable_nothing_is_traced(project: Project, lean) -> None:
    result = project.run("-v", "publish", "--story", "night-market", "--dry-run")
    assert result.code == 0, result.err
    assert "publisher.trace" not in result.err
