"""The `publisher` command line: parse arguments, call the core, print the outcome.

Exit codes: 0 done, 1 some deliveries failed (listed), 2 bad input or configuration.

Text from files and the database (story text, names, error messages that quote
them) is printed as it is, never read as console markup; with
`--log-format json`, every line on stderr is a JSON object.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from publisher.errors import InputError, PublisherError
from publisher.invocation import CommandContext
from publisher.lines import one_line
from publisher.plugins import Plugins, call_each, describe_failure, load_plugins
from publisher.version import __version__

# What a command needs is imported in its body: `publisher --help` loads click, the plugin
# manager and the plugins' command definitions, and no channel, database or console library.
if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path
    from types import ModuleType
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.table import Table

    from publisher.channel import Destination
    from publisher.delivery import Outcome
    from publisher.job_book import Entry
    from publisher.loading import LoadedStory
    from publisher.workspace import Plan, Workspace


class _Console:
    """A rich Console made on first use. No markup: what is printed is shown as it is;
    emphasis comes from Text styles."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                stderr=self._stderr, highlight=False, soft_wrap=True, markup=False
            )
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


out = _Console()
err = _Console(stderr=True)
_LABEL_STYLE = {"error": "red", "warning": "yellow", "note": "cyan"}


def _say(level: str, text: str, label: str = "", **fields: Any) -> None:
    """One line on stderr for a person (`label: text`), or a JSON event with JSON logs.

    `level` is a logging level's name ("WARNING"), so that a command that says nothing never
    imports logging."""
    import logging

    from rich.text import Text

    from publisher.logs import event, json_logs
    from publisher.secrets import scrub

    text = one_line(scrub(text))
    if json_logs():
        event(logging.getLevelNamesMapping()[level], text, **fields)
    elif label:
        err.print(Text.assemble((label, _LABEL_STYLE[label]), ": ", text))
    else:
        err.print(Text(text))


class _Context(CommandContext):
    """The command line's context: it says when the embedded defaults are in use."""

    _looked = False  # at the configuration, to say where the embedded defaults write

    @property
    def workspace(self) -> Workspace:
        workspace = super().workspace
        if not self._looked:
            self._looked = True
            if workspace.config.path is None and not workspace.state.exists:
                _say_defaults(workspace)
            _say_missing(workspace)
        return workspace


def _say_defaults(workspace: Workspace) -> None:
    """Said until the folder has its state database, so that state/ is never made in a
    folder without a configuration without saying where (a command run from the wrong
    folder, say)."""
    from publisher.config import CONFIG_PATH

    root = workspace.config.root
    state = workspace.config.state_url.removeprefix("sqlite:///")
    _say(
        "WARNING",
        f"no {CONFIG_PATH} in {root} or a folder above it, so the embedded defaults apply "
        f"here: state in {state}, email (unless SMTP_URL is set) in {root / 'outbox'}/ "
        "(publisher init writes a configuration)",
        label="note",
        event="embedded_defaults",
        folder=str(root),
        state=state,
    )


def _say_missing(workspace: Workspace) -> None:
    """One line for each channel the embedded defaults use and nobody installed."""
    from publisher.defaults import CHANNEL_DISTRIBUTIONS

    for channel, names in workspace.config.missing_channels().items():
        install = CHANNEL_DISTRIBUTIONS.get(channel, f"a plugin with the {channel} channel")
        _say(
            "WARNING",
            f"the {channel} channel is not installed, so the embedded defaults leave out "
            f"{'destinations' if len(names) > 1 else 'destination'} {', '.join(names)} "
            f"(pip install {install})",
            label="note",
            event="missing_channel",
            channel=channel,
            destinations=names,
            install=install,
        )


pass_context = click.make_pass_decorator(CommandContext)


class _PathType(click.Path):
    """click.Path, giving a pathlib.Path: pathlib (with the urllib and ipaddress it brings)
    is imported once a path is given, not for `publisher --help`."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from pathlib import Path

        return Path(os.fsdecode(super().convert(value, param, ctx)))


def _destinations_option(function):
    return click.option(
        "--to",
        "to",
        metavar="DEST,...",
        help="Only these destinations (comma-separated); all when omitted.",
    )(function)


def _names(value: str | None) -> list[str] | None:
    """--to's destinations; None (all of them) only when --to is not given at all."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise InputError("--to names no destination (leave it out to publish everywhere)")
    return names


def _time(value: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 time from the command line; without an offset, in the site's timezone."""
    from datetime import datetime

    from publisher.story import EARLIEST_YEAR, LATEST_YEAR

    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"'{value}' is not a time such as 2026-11-26T08:00") from None
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:  # far from datetime's ends: no overflow
        raise InputError(
            f"'{value}' is not between the years {EARLIEST_YEAR} and {LATEST_YEAR}, "
            "the dates Publisher accepts"
        )
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _published(value: str | None) -> datetime | None:
    from datetime import datetime

    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"--published: '{value}' is not an ISO date such as 2026-11-20T08:00+01:00"
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
@click.option(
    "--config",
    type=_PathType(),
    envvar="PUBLISHER_CONFIG",
    help="Configuration file [default: config/publisher.toml here or in the nearest parent "
    "folder that has one, else the embedded defaults].",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: every line on stderr is a JSON object (errors, warnings, progress).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens, step by step.")
@click.pass_context
def cli(context: click.Context, config: Path | None, log_format: str, verbose: bool) -> None:
    """Publish news stories by email, to Mastodon, to X and to any channel a plugin adds."""
    from publisher.logs import setup_logging

    setup_logging(log_format, verbose)
    context.obj = _Context(context.obj, config)
    context.call_on_close(context.obj.close)  # the workspace, if a command opened it


@cli.command()
@click.argument("path", type=_PathType())
@click.option("--json", "as_json", is_flag=True, help="Print the parsed story as JSON.")
@click.option("--published", help="Publication time to use when the file has none (ISO 8601).")
@pass_context
def story(context: CommandContext, path: Path, as_json: bool, published: str | None) -> None:
    """Show how a story file was understood: each field and where its value came from."""
    workspace = context.workspace
    loaded = workspace.load_story(path, _published(published))
    problems = workspace.written_post_problems(loaded)
    if problems:  # a hand-written post too long for a configured destination of its channel
        raise problems[0]
    if as_json:
        import json

        story_json = loaded.story.model_dump(mode="json", by_alias=True)
        click.echo(json.dumps(story_json, indent=2, ensure_ascii=False))
        return
    out.print(_story_table(loaded))


def _story_table(loaded: LoadedStory) -> Table:
    """Every cell a Text: story text is shown as written, never read as markup."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(loaded.story.headline), show_lines=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold", max_width=80)
    table.add_column("from", style="dim")
    for name, value in loaded.story.model_dump(mode="json", by_alias=True).items():
        table.add_row(name, Text(_summarise(value)), Text(loaded.origins.get(name, "")))
    return table


def _summarise(value: Any) -> str:
    """A field's value in one cell: lists by their titles, long text shortened."""
    if isinstance(value, list):
        titles = [
            next((item[k] for k in ("heading", "q", "title") if item.get(k)), "(untitled)")
            if isinstance(item, dict)
            else str(item)
            for item in value
        ]
        return f"{len(value)}: " + " | ".join(titles) if titles else "(none)"
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        # Hand-written posts: each channel's, shortened.
        return (
            " | ".join(
                f"{k}: {len(v)} post{'s' * (len(v) != 1)}: "
                + " / ".join(_short(" ".join(p.split()), 60) for p in v)
                for k, v in value.items()
            )
            or "(none)"
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if value in (None, ""):
        return "(none)"
    return _short(str(value), 200)


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


@cli.command()
@click.option("--story", "story_ref", required=True, help="A story file, or a story id.")
@_destinations_option
@click.option("--dry-run", is_flag=True, help="Render only: nothing is sent or recorded.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print renditions as JSON.")
@click.option("--force", is_flag=True, help="Publish again where it was already published.")
@click.option("--published", help="Publication time to use when the file has none (ISO 8601).")
@click.option(
    "--test-to",
    metavar="ADDRESS",
    help="Only send one private copy to ADDRESS (channels that can): nothing recorded.",
)
@click.option("--at", "at", metavar="TIME", help="Publish later, at TIME (ISO 8601, site time).")
@pass_context
def publish(
    context: CommandContext,
    story_ref: str,
    to: str | None,
    dry_run: bool,
    as_json: bool,
    force: bool,
    published: str | None,
    test_to: str | None,
    at: str | None,
) -> int | None:
    """Publish one story now (or --at a time) to every destination, or those given with --to."""
    from rich.text import Text

    from publisher.job_book import JobBook

    workspace = context.workspace
    loaded, plan = workspace.plan_story(story_ref, _names(to), _published(published))
    if at is not None:
        if dry_run or as_json or test_to:
            raise InputError(
                "--at stores the publish for later: use it without --dry-run, --json or --test-to"
            )
        workspace.check_plan(plan)
        when = _time(at, workspace.config.site.zone)
        job_id = JobBook(workspace).once(loaded.path, when, _names(to), force)
        out.print(Text(f"Scheduled {job_id} for {when:%Y-%m-%d %H:%M %Z}."))
        out.print(
            "It runs while `publisher schedule run` is running; `publisher schedule list` shows it."
        )
        return None
    if test_to is None:
        again = _command(context, "publish", "--story", story_ref, *(("--to", to) if to else ()))
        return _run(workspace, plan, dry_run, as_json, force, again)
    if dry_run or as_json:
        raise InputError("--test-to sends a real copy: leave out --dry-run and --json")
    if one_line(test_to) != test_to:
        raise InputError(f"--test-to: '{one_line(test_to)}' must be one address on one line")
    outcomes = workspace.send_tests(plan, test_to)
    _print_outcomes(outcomes)
    failed = [outcome.destination for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise PublisherError(f"the test copy failed: {', '.join(failed)}")
    return None


@cli.command()
@click.option("--since", help="How far back to look, such as 7d or 2w [default: site setting].")
@_destinations_option
@click.option("--dry-run", is_flag=True, help="Render only: nothing is sent or recorded.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print renditions as JSON.")
@pass_context
def digest(
    context: CommandContext, since: str | None, to: str | None, dry_run: bool, as_json: bool
) -> int | None:
    """Send a digest of recent stories; a story goes to each destination in one digest only."""
    plan, unplanned = _digest_plan(context.workspace, since, to)
    if plan or as_json or unplanned:
        again = _command(context, "digest", *(("--to", to) if to else ()))
        return _run(context.workspace, plan, dry_run, as_json, False, again, unplanned)
    return None


def _digest_plan(
    workspace: Workspace, since: str | None, to: str | None
) -> tuple[Plan, list[Outcome]]:
    """Each destination's digest, and a failed outcome for each destination whose digest
    cannot be made (the others go on)."""
    from datetime import datetime

    from publisher.delivery import Outcome

    window_text = since or workspace.config.site.digest_since
    window = _duration(window_text, "--since")
    plan, idle, problems = workspace.plan_digest(
        _names(to), datetime.now(workspace.config.site.zone), window
    )
    for destination in idle:
        _say(
            "INFO",
            f"{destination.name}: no new stories in the last {window_text}; nothing to send",
            event="nothing_to_send",
            destination=destination.name,
        )
    unplanned = [Outcome(name, "failed", why, done=False) for name, why in problems.items()]
    return plan, unplanned


def _duration(text: str, option: str):
    from publisher.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise InputError(f"{option}: {error}") from None


def _command(context: CommandContext, *args: str) -> str:
    """The command line that runs `args` again, for the person who stopped a run."""
    config = ("--config", str(context.config_path)) if context.config_path else ()
    import shlex

    return shlex.join(["publisher", *config, *args])


def _say_unplanned(unplanned: Sequence[Outcome]) -> None:
    """A line for each destination whose digest could not be made (the others go ahead)."""
    for outcome in unplanned:
        _say(
            "ERROR",
            f"{outcome.destination}: {outcome.message}",
            label="error",
            event="unplanned",
            destination=outcome.destination,
        )


def _run(
    workspace: Workspace,
    plan: Plan,
    dry_run: bool,
    as_json: bool,
    force: bool,
    again: str,
    unplanned: Sequence[Outcome] = (),
) -> int | None:
    """Render every destination (any bad input stops here), then deliver unless --dry-run.

    `unplanned`: destinations that could not be planned, reported beside the others
    (with nothing else to do, bad input: exit 2). SIGINT or SIGTERM stops the delivery
    at the next safe point; the exit code is then 130 or 143, and one line says how to
    send the rest.
    """
    import json

    from publisher.preview import renditions_json
    from publisher.progress import progress_bars
    from publisher.stopping import stop_on_signals

    if unplanned and (dry_run or not plan):
        _say_unplanned(unplanned)
        if not plan:
            raise InputError(
                f"no digest could be made for {', '.join(o.destination for o in unplanned)}"
            )
    if dry_run:
        renditions = workspace.renditions(plan)
        for destination, rendition in renditions.items():
            for warning in rendition.warnings:
                _say(
                    "WARNING",
                    f"{destination.name}: {warning}",
                    label="warning",
                    event="rendition_warning",
                    destination=destination.name,
                )
        if as_json:
            click.echo(json.dumps(renditions_json(renditions), indent=2, ensure_ascii=False))
        else:
            for destination, rendition in renditions.items():
                _print_rendition(destination.name, destination.channel, rendition)
        return InputError.exit_code if unplanned else None
    if as_json:
        raise InputError("--json goes with --dry-run (a real run prints a summary)")
    with stop_on_signals() as stop, progress_bars(err.rich) as progress:
        outcomes = [*unplanned, *workspace.publish(plan, force=force, progress=progress, stop=stop)]
    _print_outcomes(outcomes)
    stopped = [outcome.destination for outcome in outcomes if outcome.status == "stopped"]
    if stop.signal is not None and stopped:
        _say(
            "WARNING",
            f"stopped by {stop.signal_name}: {', '.join(stopped)} left unfinished; "
            f"to send the rest, run `{again}` "
            "(or let `publisher schedule run` finish it when it starts)",
            label="warning",
            event="stopped",
            command=again,
        )
        return 128 + stop.signal
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    busy = [outcome.destination for outcome in outcomes if outcome.status == "busy"]
    if busy:
        _say(
            "WARNING",
            f"{', '.join(busy)}: another run is delivering {'them' if len(busy) > 1 else 'it'}"
            f"; nothing was sent there by this run (`publisher status` shows when it is done)",
            label="warning",
            event="busy",
            destinations=busy,
        )
    if failed:
        hint = (
            " (run it again to resume where it stopped)"
            if any(not outcome.done for outcome in failed)
            else " (see above; publisher status keeps the details)"
        )
        raise PublisherError(
            f"{len(failed)} destination{'s' * (len(failed) != 1)} failed: "
            + ", ".join(outcome.destination for outcome in failed)
            + hint
        )
    if busy:
        raise PublisherError(
            f"{len(busy)} destination{'s' * (len(busy) != 1)} left to another run: "
            + ", ".join(busy)
        )
    return None


def _print_rendition(name: str, channel: str, rendition) -> None:
    from rich.text import Text

    title = Text.assemble((name, "bold"), f" ({channel}): {len(rendition.parts)} part(s)")
    out.rule(title, align="left")
    for number, part in enumerate(rendition.parts, start=1):
        count = f"{part.length}/{part.limit}" if part.limit else f"{part.length}"
        reply = f", reply to {part.reply_to + 1}" if part.reply_to is not None else ""
        out.print(Text(f"-- part {number} ({count}{reply})", style="dim"))
        subject = part.extra.get("subject")
        if subject:
            out.print(Text(f"Subject: {subject}"))
        out.print(Text(part.text))
    if rendition.cost is not None:
        out.print(Text(f"{name}: cost {rendition.cost}"))


STATUS_STYLE = {
    "sent": "green",
    "skipped": "yellow",
    "failed": "red",
    "stopped": "yellow",
    "busy": "yellow",
    "dry-run": "cyan",
}


def _print_outcomes(outcomes: list[Outcome]) -> None:
    from rich.text import Text

    for outcome in outcomes:
        style = STATUS_STYLE[outcome.status]
        out.print(
            Text.assemble(
                f"{outcome.destination}: ", (outcome.status, style), f" {one_line(outcome.message)}"
            )
        )


@cli.command()
@click.option(
    "--out",
    "folder",
    type=_PathType(file_okay=False),
    default="preview",
    show_default=True,
)
@click.option("--story", "story_ref", help="Preview this story; without it, the next digest.")
@click.option("--since", help="Digest window, such as 7d [default: site setting].")
@_destinations_option
@pass_context
def preview(
    context: CommandContext, folder: Path, story_ref: str | None, since: str | None, to: str | None
) -> None:
    """Write every destination's rendered output into a folder, with an index page."""
    from rich.text import Text

    from publisher.preview import write_preview

    workspace = context.workspace
    if story_ref:
        _, plan = workspace.plan_story(story_ref, _names(to))
    else:
        plan, unplanned = _digest_plan(workspace, since, to)
        _say_unplanned(unplanned)
    if not plan:
        raise InputError("nothing to preview: give --story, or a longer --since")
    renditions = workspace.renditions(plan)
    index = write_preview(folder, renditions, workspace.templates)
    out.print(Text(f"Preview of {len(renditions)} destination(s) written; open {index}"))


@cli.group()
def schedule() -> None:
    """Run the configured schedules, list them, cancel one-off jobs."""


@schedule.command("run")
@pass_context
def schedule_run(context: CommandContext) -> None:
    """Run the schedules until stopped (SIGTERM or Ctrl+C stop it cleanly)."""
    import signal

    from rich.text import Text

    from publisher.jobs import STOP
    from publisher.scheduler import Scheduler

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: STOP.set())
    with Scheduler(context.workspace) as scheduler:
        for change in scheduler.reconcile():
            out.print(Text(f"schedule {change}"))
        for said in scheduler.resume_unfinished():
            out.print(Text(said))
        for entry in scheduler.entries():
            when = f"{entry.next_run:%Y-%m-%d %H:%M %Z}" if entry.next_run else "not scheduled"
            out.print(Text(f"{entry.id}: next run {when}"))
        out.print("Scheduler running; stop it with Ctrl+C or SIGTERM.")
        scheduler.run()
    out.print("Scheduler stopped; anything left undelivered goes out at the next start.")


@schedule.command("list")
@pass_context
def schedule_list(context: CommandContext) -> None:
    """Each schedule and one-off job: when it runs, the next run, the last run and its outcome."""
    from rich.text import Text

    from publisher.job_book import JobBook

    entries = JobBook(context.workspace).entries()
    if not entries:
        out.print("Nothing is scheduled: add [schedules.NAME] to the configuration.")
        return
    zone = context.workspace.config.site.zone
    for entry in entries:
        out.print(Text.assemble((one_line(entry.id), "bold"), f": {one_line(entry.what)}"))
        out.print(Text(f"  when:     {one_line(entry.when)}"))
        upcoming = f"{entry.next_run:%Y-%m-%d %H:%M %Z}" if entry.next_run else "-"
        out.print(Text(f"  next run: {UNFINISHED_NOTE if entry.unfinished else upcoming}"))
        out.print(Text(f"  last run: {_last_run(entry, zone)}"))


UNFINISHED_NOTE = "unfinished; the next start of `publisher schedule run` finishes it"


def _last_run(entry: Entry, zone: ZoneInfo) -> str:
    """When a job last ran and how it went, as `schedule list` and `status` both say it."""
    if entry.last_run is None:
        return "never"
    return f"{entry.last_run.astimezone(zone):%Y-%m-%d %H:%M %Z}: {one_line(entry.outcome or '')}"


@schedule.command("cancel")
@click.argument("job_id")
@pass_context
def schedule_cancel(context: CommandContext, job_id: str) -> None:
    """Remove a one-off job (publish --at); schedules are changed in the configuration."""
    from rich.text import Text

    from publisher.job_book import SCHEDULE, JobBook

    if job_id.startswith(SCHEDULE):
        raise InputError(f"{job_id} comes from the configuration: remove it there")
    JobBook(context.workspace).cancel(job_id)
    out.print(Text(f"Cancelled {job_id}."))


@cli.group()
def db() -> None:
    """The state database's schema: where each migration history stands; upgrade it."""


@db.command("current")
@pass_context
def db_current(context: CommandContext) -> None:
    """Each history's revision in the state database (the core's, and each plugin's)."""
    from rich.text import Text

    for position in context.workspace.state.positions():
        out.print(Text(f"{position.history}: {position.describe()}"))


@db.command("upgrade")
@pass_context
def db_upgrade(context: CommandContext) -> None:
    """Upgrade every history to its head, as any command does on first use of the database."""
    from rich.text import Text

    state = context.workspace.state
    changed = {change.history: change for change in state.upgrade()}
    for position in state.positions():
        change = changed.get(position.history)
        if change:
            said = f"{', '.join(change.before) or 'none'} → {', '.join(change.after)} (upgraded)"
        else:
            said = position.describe()
        out.print(Text(f"{position.history}: {said}"))


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_context
def plugins(context: CommandContext, as_json: bool) -> None:
    """List every plugin with its version, hooks and channels, and any that failed to load."""
    from rich.table import Table
    from rich.text import Text

    rows = _plugin_rows(context.plugins)
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("plugin", "version", "hooks", "channels")
    for row in rows:
        if row["error"]:
            table.add_row(
                Text(row["name"], "red"),
                Text(row["version"]),
                Text(f"failed: {row['error']}", "red"),
                "",
            )
        else:
            table.add_row(
                Text(row["name"]),
                Text(row["version"]),
                Text(", ".join(row["hooks"])),
                Text(", ".join(row["channels"])),
            )
    out.print(table)


@cli.group()
def plugin() -> None:
    """Start a plugin of your own."""


@plugin.command("new")
@click.argument("name")
@click.argument("folder", type=_PathType(file_okay=False), required=False)
@pass_context
def plugin_new(context: CommandContext, name: str, folder: Path | None) -> None:
    """Write a channel plugin package NAME into FOLDER (default ./publisher-NAME): a working
    webhook-style channel to edit, its pyproject.toml, a README and contract tests."""
    from rich.text import Text

    from publisher.plugin_skeleton import new_plugin

    written = new_plugin(name, folder, context.plugins.channels)
    root = written[0].parent
    files = ", ".join(str(path.relative_to(root)) for path in written)
    out.print(Text(f"Wrote {root}/: {files}"))
    out.print(Text(f"Next: cd {root} && pip install -e '.[test]' && python -m pytest"))


def _plugin_rows(plugins: Plugins) -> list[dict[str, Any]]:
    owners = plugins.channel_owners  # collected first: a plugin whose registration fails is broken
    rows = []
    for name, plugin in plugins.manager.list_name_plugin():
        hooks = sorted(caller.name for caller in plugins.manager.get_hookcallers(plugin) or [])
        channels = sorted(c for c, owner in owners.items() if owner == name)
        rows.append(
            {
                "name": name,
                "version": plugins.versions.get(name, "?"),
                "hooks": hooks,
                "channels": channels,
                "error": None,
            }
        )
    for broken in plugins.broken:
        rows.append(
            {
                "name": broken.name,
                "version": broken.version,
                "hooks": [],
                "channels": [],
                "error": broken.error,
            }
        )
    return rows


@cli.command()
@click.option("--dns", is_flag=True, help="Also look up each destination's DNS records.")
@pass_context
def check(context: CommandContext, dns: bool) -> None:
    """Check the configuration, every story file, each destination's templates and
    credentials, without publishing."""
    from rich.text import Text

    from publisher.channel import DeliveryError, check_channel

    workspace = context.workspace
    config = workspace.config
    out.print(Text(f"configuration: {config.label} (project folder {config.root})"))
    out.print(Text(f"stories: {workspace.stories_dir} ({len(workspace.story_files())} files)"))
    bad_stories = [
        *workspace.story_problems,  # every file is loaded, as a digest would
        *(
            problem
            for loaded in workspace.loaded_stories
            for problem in workspace.written_post_problems(loaded)
        ),
    ]
    for problem in bad_stories:
        out.print(Text.assemble(("bad story", "red"), f" {one_line(str(problem))}"))
    bad_templates = workspace.templates.problems()
    for unusable in bad_templates:
        out.print(Text.assemble(("bad template", "red"), f" {one_line(unusable)}"))
    problems = 0
    for destination in workspace.destinations():
        template_problem = _template_problem(workspace, destination)
        if template_problem:  # a dry run renders too: it fails the same way
            problems += 1
            _print_check("failed", "red", destination.name, template_problem)
            continue
        dry_run = " (dry_run = true: nothing is sent)" if destination.settings.dry_run else ""
        channel = workspace.channel_for(destination)
        try:
            account = check_channel(channel, destination, dns=dns)
            if dry_run:
                _print_check("dry run", "cyan", _named(destination), account + dry_run)
            else:
                _print_check("ok", "green", _named(destination), account)
        except (PublisherError, DeliveryError) as error:
            if dry_run:
                _print_check("dry run", "yellow", _named(destination), str(error) + dry_run)
            else:
                problems += 1
                _print_check("failed", "red", destination.name, str(error))
        finally:
            channel.close()
    failures = []
    if bad_stories:
        failures.append(f"{len(bad_stories)} story file{'s' * (len(bad_stories) != 1)} unusable")
    if bad_templates:
        count = len(bad_templates)
        failures.append(f"{count} template file{'s' * (count != 1)} unusable")
    if problems:
        failures.append(f"{problems} destination{'s' * (problems != 1)} cannot publish")
    if failures:
        raise InputError("; ".join(failures))


def _named(destination: Destination) -> str:
    return f"{destination.name} ({destination.channel})"


def _print_check(label: str, style: str, what: str, said: str) -> None:
    from rich.text import Text

    from publisher.secrets import scrub

    out.print(Text.assemble((label, style), f" {what}: {one_line(scrub(said))}"))


def _template_problem(workspace: Workspace, destination: Destination) -> str | None:
    """Why the destination's templates cannot render a sample story and digest, or None."""
    from publisher.checks import sample_editions

    try:
        for edition in sample_editions(destination):
            workspace.render(edition, destination)
    except PublisherError as error:
        return str(error)
    except Exception as error:  # a bug in the channel's render, not in a template
        owner = workspace.plugins.channel_owners.get(destination.channel, destination.channel)
        return describe_failure(owner, "render", error)
    return None


@cli.command()
@click.option("--limit", default=20, show_default=True, help="How many publications to show.")
@pass_context
def status(context: CommandContext, limit: int) -> None:
    """Show recent deliveries (what went where, what failed) and each schedule's last run."""
    from rich.table import Table
    from rich.text import Text

    from publisher.job_book import SCHEDULE, JobBook

    workspace = context.workspace
    zone = workspace.config.site.zone
    for entry in JobBook(workspace).entries():
        last = _last_run(entry, zone)
        if entry.id.startswith(SCHEDULE):
            out.print(Text(f"schedule {entry.id.removeprefix(SCHEDULE)}: last run {last}"))
        elif entry.unfinished:
            out.print(Text(f"job {entry.id}: {UNFINISHED_NOTE}; last run {last}"))
    for answer in context.plugins.hook.publisher_status(destinations=workspace.destinations()):
        for line in answer:
            out.print(Text(one_line(line)), style="yellow" if line.startswith("warning") else None)
    rows = workspace.ledger.recent(limit)
    if not rows:
        out.print("Nothing has been published yet.")
        return
    table = Table(f"started ({zone.key})", "edition", "destination", "status", "parts")
    for row in rows:
        table.add_row(
            f"{row['started_at'].astimezone(zone):%Y-%m-%d %H:%M}",
            Text(one_line(row["edition_id"])),
            Text(one_line(row["destination"])),
            Text(one_line(row["status"])),
            f"{row['sent']}/{row['parts']}",
        )
    out.print(table)
    for row in rows:
        if row["error"] or row["status"] == "interrupted":
            label, style = NOTE_STYLE.get(row["status"], (row["status"], "red"))
            reason = (
                row["error"] or "the run that was delivering it is gone; the next run finishes it"
            )
            message = f"{row['destination']}: {row['edition_id']}: {reason}"
            out.print(Text.assemble((label, style), f" {one_line(message)}"))
        if row["warning"]:
            message = f"{row['destination']}: {row['edition_id']}: {row['warning']}"
            out.print(Text.assemble(("warning", "yellow"), f" {one_line(message)}"))


@cli.command()
@click.argument("edition")
@click.option(
    "--destination",
    "destination",
    required=True,
    metavar="NAME",
    help="The destination it was going to, as `publisher status` names it.",
)
@pass_context
def abandon(context: CommandContext, edition: str, destination: str) -> None:
    """Give up an unfinished publication for good: EDITION as `publisher status` names it
    (story-ID or digest-...), or a story id. It stays in the ledger, marked abandoned; no
    run resumes it or sends it again, and a digest's stories count as sent there."""
    from rich.text import Text

    ledger = context.workspace.ledger
    names = [edition]
    if not edition.startswith(("story-", "digest-")):
        names.append(f"story-{edition}")
    for name in names:
        try:
            was = ledger.abandon(name, destination)
        except InputError:
            if name == names[-1]:
                raise
            continue
        if was == "abandoned":
            out.print(Text(f"{destination}: {name} was already abandoned; nothing changed."))
        else:
            out.print(
                Text(
                    f"{destination}: {name} abandoned (it was {was}): it stays in `publisher "
                    "status`, and no run resumes it or sends it again."
                )
            )
        return


NOTE_STYLE = {
    "done": ("partly delivered", "yellow"),  # a part went out, but not to everyone
    "stopped": ("stopped", "yellow"),
    "interrupted": ("interrupted", "yellow"),
    "abandoned": ("abandoned", "yellow"),
}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--root-path",
    default="",
    metavar="PATH",
    help="The path the reverse proxy serves these pages under, such as /newsletter.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    metavar="IPS",
    help="Proxies trusted for X-Forwarded-For and -Proto (comma-separated, or *).",
)
@pass_context
def serve(
    context: CommandContext, host: str, port: int, root_path: str, forwarded_allow_ips: str
) -> None:
    """Serve the subscriber pages, the archive and its feed (stop with Ctrl+C or SIGTERM)."""
    from rich.text import Text

    if root_path and (not root_path.startswith("/") or root_path.endswith("/")):
        raise InputError(f"--root-path: '{root_path}' must start with / and not end with one")
    from publisher.web.server import listen  # Starlette and uvicorn: only here

    workspace = context.workspace
    server = listen(workspace, context.plugins, host, port, root_path, forwarded_allow_ips)
    shown = f"[{host}]" if ":" in host else host
    out.print(Text(f"Serving {workspace.config.site.name} on http://{shown}:{port}{root_path}/"))
    out.print("Stop with Ctrl+C or SIGTERM.")
    sys.stdout.flush()  # before uvicorn takes over: a journal shows it at once
    server.run()


@cli.command()
@click.argument("folder", type=_PathType(file_okay=False), default=".")
def init(folder: Path) -> None:
    """Write a working config/ and templates/ (and an empty stories/) into FOLDER."""
    from rich.text import Text

    from publisher.scaffold import init_project

    written = init_project(folder)
    out.print(
        Text(f"Wrote {len(written)} files into {folder}/ (config/publisher.toml, templates/).")
    )
    out.print("Next: put a story into stories/, then run: publisher publish --story ID --dry-run")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: load plugins, let them add commands, run, map errors to exit codes."""
    try:
        _early_logging(sys.argv[1:] if argv is None else argv)
        plugins = load_plugins()
        call_each(plugins, "publisher_register_commands", cli=cli)
        return _run_cli(argv, plugins)
    finally:
        logs = _logs()
        if logs is not None:
            logs.restore_stderr()


def _early_logging(argv: list[str]) -> None:
    """Logging as `--log-format json`, `-v` or PUBLISHER_TRACE_PLUGINS ask, before plugins
    load: what is logged then (a trace) comes out in the same format as the rest.

    Otherwise the `cli` group sets logging up before a command runs, and `--help`, which
    logs nothing, never imports it."""
    from publisher import hooktrace

    found = cli.make_context("publisher", list(argv), resilient_parsing=True).params
    log_format, verbose = found.get("log_format") or "text", bool(found.get("verbose"))
    if log_format == "json" or verbose or hooktrace.wanted():
        from publisher.logs import setup_logging

        setup_logging(log_format, verbose)


def _logs() -> ModuleType | None:
    """publisher.logs once logging is set up (by a command, an option or a trace)."""
    return sys.modules.get("publisher.logs")


def _json_logs() -> bool:
    logs = _logs()
    return logs is not None and logs.json_logs()


def _run_cli(argv: list[str] | None, plugins: Plugins) -> int:
    try:
        result = cli.main(
            args=argv,
            prog_name="publisher",
            obj=plugins,
            standalone_mode=False,
            terminal_width=_help_width(),
        )
    except click.exceptions.Abort:
        _say("ERROR", "aborted", event="aborted")
        return 130
    except click.ClickException as error:
        if not _json_logs():
            error.show()
        else:
            _error(error.format_message(), error.exit_code)
        return error.exit_code
    except PublisherError as error:
        return _error(str(error), error.exit_code)
    except _database_errors() as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return _error(f"the state database failed: {reason}", 1)
    except OSError as error:  # a folder that cannot be written, a file that cannot be read
        where = f"{error.filename}: " if error.filename else ""
        return _error(where + (error.strerror or str(error)), 2)
    except Exception:
        if not _json_logs():
            raise  # a bug: its traceback, as Python shows it
        import logging

        logging.getLogger("publisher").exception("unexpected error (a bug: please report it)")
        return 1
    return result if isinstance(result, int) else 0


def _help_width() -> int:
    """The width click's help formatter would choose, worked out as `shutil.get_terminal_size`
    does (COLUMNS if positive, else the terminal, else 80) but with `os` alone: importing
    `shutil` (with bz2 and lzma) costs `--help` more than formatting it."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # no stdout, or not a terminal
            columns = 0
    return max(min(columns or 80, 80) - 2, 50)


def _database_errors() -> tuple[type[Exception], ...]:
    """SQLAlchemy's errors, when a command used the database (else none can have happened,
    and SQLAlchemy is not loaded for nothing)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return (exc.SQLAlchemyError,) if exc is not None else ()


def _error(message: str, exit_code: int) -> int:
    """The one `error:` line a failed command ends with; returns its exit code."""
    _say("ERROR", message, label="error", event="error", exit_code=exit_code)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
