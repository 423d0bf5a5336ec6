"""The `publisher` command line: parse arguments, call the core, print the outcome.

Exit codes: 0 done, 1 some deliveries failed (listed), 2 bad input or configuration.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from publisher import __version__
from publisher.channel import DeliveryError, check_channel
from publisher.commands import CommandContext
from publisher.config import parse_duration
from publisher.delivery import Outcome
from publisher.edition import single
from publisher.errors import InputError, PublisherError
from publisher.loading import LoadedStory
from publisher.logs import setup_logging
from publisher.plugins import Plugins, call_each, load_plugins
from publisher.preview import renditions_json, write_preview
from publisher.scaffold import init_project
from publisher.scheduler import SCHEDULE, STOP, History, JobBook, Scheduler
from publisher.secrets import scrub
from publisher.workspace import Workspace

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


pass_context = click.make_pass_decorator(CommandContext)


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
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"'{value}' is not a time such as 2026-11-26T08:00") from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _published(value: str | None) -> datetime | None:
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
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="PUBLISHER_CONFIG",
    help="Configuration file [default: ./config/publisher.toml, else embedded defaults].",
)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens, step by step.")
@click.pass_context
def cli(context: click.Context, config: Path | None, log_format: str, verbose: bool) -> None:
    """Publish news stories by email, to Mastodon, to X and to any channel a plugin adds."""
    setup_logging(log_format, verbose)
    context.obj = CommandContext(context.obj, config)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed story as JSON.")
@click.option("--published", help="Publication time to use when the file has none (ISO 8601).")
@pass_context
def story(context: CommandContext, path: Path, as_json: bool, published: str | None) -> None:
    """Show how a story file was understood: each field and where its value came from."""
    loaded = context.workspace.load_story(path, _published(published))
    if as_json:
        story_json = loaded.story.model_dump(mode="json", by_alias=True)
        click.echo(json.dumps(story_json, indent=2, ensure_ascii=False))
        return
    out.print(_story_table(loaded))


def _story_table(loaded: LoadedStory) -> Table:
    table = Table(title=loaded.story.headline, show_lines=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold", max_width=80)
    table.add_column("from", style="dim")
    for name, value in loaded.story.model_dump(mode="json", by_alias=True).items():
        table.add_row(name, _summarise(value), loaded.origins.get(name, ""))
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
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if value in (None, ""):
        return "(none)"
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


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
) -> None:
    """Publish one story now (or --at a time) to every destination, or those given with --to."""
    workspace = context.workspace
    loaded = workspace.find_story(story_ref, _published(published))
    edition = single(loaded.story)
    plan = [(destination, edition) for destination in workspace.destinations(_names(to))]
    if at is not None:
        if dry_run or as_json or test_to:
            raise InputError(
                "--at stores the publish for later: use it without --dry-run, --json or --test-to"
            )
        for destination, _ in plan:  # bad input is refused now, not when the time comes
            workspace.render(edition, destination)
        when = _time(at, workspace.config.site.zone)
        job_id = JobBook(workspace).once(loaded.path, when, _names(to), force)
        out.print(f"Scheduled {job_id} for {when:%Y-%m-%d %H:%M %Z}.")
        out.print(
            "It runs while `publisher schedule run` is running; `publisher schedule list` shows it."
        )
        return
    if test_to is None:
        _run(workspace, plan, dry_run, as_json, force)
        return
    if dry_run or as_json:
        raise InputError("--test-to sends a real copy: leave out --dry-run and --json")
    outcomes = workspace.send_tests(plan, test_to)
    _print_outcomes(outcomes)
    failed = [outcome.destination for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise PublisherError(f"the test copy failed: {', '.join(failed)}")


@cli.command()
@click.option("--since", help="How far back to look, such as 7d or 2w [default: site setting].")
@_destinations_option
@click.option("--dry-run", is_flag=True, help="Render only: nothing is sent or recorded.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print renditions as JSON.")
@pass_context
def digest(
    context: CommandContext, since: str | None, to: str | None, dry_run: bool, as_json: bool
) -> None:
    """Send a digest of recent stories; a story goes to each destination in one digest only."""
    plan = _digest_plan(context.workspace, since, to)
    if plan or as_json:
        _run(context.workspace, plan, dry_run, as_json, force=False)


def _digest_plan(workspace: Workspace, since: str | None, to: str | None) -> list:
    window_text = since or workspace.config.site.digest_since
    window = _duration(window_text, "--since")
    plan, idle = workspace.plan_digest(_names(to), datetime.now(workspace.config.site.zone), window)
    for destination in idle:
        err.print(f"{destination.name}: no new stories in the last {window_text}; nothing to send")
    return plan


def _duration(text: str, option: str):
    try:
        return parse_duration(text)
    except ValueError as error:
        raise InputError(f"{option}: {error}") from None


def _run(workspace: Workspace, plan: list, dry_run: bool, as_json: bool, force: bool) -> None:
    """Render every destination (any bad input stops here), then deliver unless --dry-run."""
    if dry_run:
        renditions = {
            destination: workspace.render(edition, destination) for destination, edition in plan
        }
        for destination, rendition in renditions.items():
            for warning in rendition.warnings:
                err.print(f"[yellow]warning[/]: {destination.name}: {warning}")
        if as_json:
            click.echo(json.dumps(renditions_json(renditions), indent=2, ensure_ascii=False))
        else:
            for destination, rendition in renditions.items():
                _print_rendition(destination.name, destination.channel, rendition)
        return
    if as_json:
        raise InputError("--json goes with --dry-run (a real run prints a summary)")
    with _progress_bars() as progress:
        outcomes = workspace.publish(plan, force=force, progress=progress)
    _print_outcomes(outcomes)
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise PublisherError(
            f"{len(failed)} destination{'s' * (len(failed) != 1)} failed: "
            + ", ".join(outcome.destination for outcome in failed)
            + " (run it again to resume where it stopped)"
        )


def _print_rendition(name: str, channel: str, rendition) -> None:
    out.rule(f"[bold]{name}[/] ({channel}): {len(rendition.parts)} part(s)", align="left")
    for number, part in enumerate(rendition.parts, start=1):
        count = f"{part.length}/{part.limit}" if part.limit else f"{part.length}"
        reply = f", reply to {part.reply_to + 1}" if part.reply_to is not None else ""
        out.print(f"[dim]-- part {number} ({count}{reply})[/]")
        subject = part.extra.get("subject")
        if subject:
            out.print(f"Subject: {subject}")
        out.print(part.text, markup=False)


class _RateColumn(ProgressColumn):
    """Items a second (messages, posts), as rich measures them."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.0f}/s" if task.speed else "", style="progress.data.speed")


@contextmanager
def _progress_bars() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """A progress bar per destination that reports progress (long email sends); the display
    starts with the first report, so a run without one prints nothing extra."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
    )
    bars = Progress(*columns, console=err, transient=False)

    def for_destination(name: str) -> Callable[[int, int], None]:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                bars.start()
                # Starting at `done` (a resumed send) keeps it out of the rate.
                task = bars.add_task(name, total=total, completed=done)
            bars.update(task, completed=done, total=total)

        return update

    try:
        yield for_destination
    finally:
        if bars.live.is_started:
            bars.stop()


STATUS_STYLE = {
    "sent": "green",
    "skipped": "yellow",
    "failed": "red",
    "stopped": "yellow",
    "dry-run": "cyan",
}


def _print_outcomes(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        style = STATUS_STYLE[outcome.status]
        out.print(f"{outcome.destination}: [{style}]{outcome.status}[/] {outcome.message}")


@cli.command()
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
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
    workspace = context.workspace
    if story_ref:
        edition = single(workspace.find_story(story_ref).story)
        plan = [(destination, edition) for destination in workspace.destinations(_names(to))]
    else:
        plan = _digest_plan(workspace, since, to)
    if not plan:
        raise InputError("nothing to preview: give --story, or a longer --since")
    renditions = {
        destination: workspace.render(edition, destination) for destination, edition in plan
    }
    index = write_preview(folder, renditions, workspace.templates)
    out.print(f"Preview of {len(renditions)} destination(s) written; open {index}")


@cli.group()
def schedule() -> None:
    """Run the configured schedules, list them, cancel one-off jobs."""


@schedule.command("run")
@pass_context
def schedule_run(context: CommandContext) -> None:
    """Run the schedules until stopped (SIGTERM or Ctrl+C stop it cleanly)."""
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: STOP.set())
    with Scheduler(context.workspace) as scheduler:
        for change in scheduler.reconcile():
            out.print(f"schedule {change}")
        for name in scheduler.resume_unfinished():
            out.print(f"finishing the digest {name} left undelivered")
        for entry in scheduler.entries():
            when = f"{entry.next_run:%Y-%m-%d %H:%M %Z}" if entry.next_run else "not scheduled"
            out.print(f"{entry.id}: next run {when}")
        out.print("Scheduler running; stop it with Ctrl+C or SIGTERM.")
        scheduler.run()
    out.print("Scheduler stopped; anything left undelivered goes out at the next start.")


@schedule.command("list")
@pass_context
def schedule_list(context: CommandContext) -> None:
    """Each schedule and one-off job: when it runs, the next run, the last run and its outcome."""
    entries = JobBook(context.workspace).entries()
    if not entries:
        out.print("Nothing is scheduled: add [schedules.NAME] to the configuration.")
        return
    for entry in entries:
        out.print(f"[bold]{entry.id}[/]: {escape(entry.what)}")
        out.print(f"  when:     {entry.when}")
        out.print(f"  next run: {f'{entry.next_run:%Y-%m-%d %H:%M %Z}' if entry.next_run else '-'}")
        zone = context.workspace.config.site.zone
        last = (
            f"{entry.last_run.astimezone(zone):%Y-%m-%d %H:%M %Z}: {entry.outcome}"
            if entry.last_run
            else "never"
        )
        out.print(f"  last run: {escape(last)}")


@schedule.command("cancel")
@click.argument("job_id")
@pass_context
def schedule_cancel(context: CommandContext, job_id: str) -> None:
    """Remove a one-off job (publish --at); schedules are changed in the configuration."""
    if job_id.startswith(SCHEDULE):
        raise InputError(f"{job_id} comes from the configuration: remove it there")
    JobBook(context.workspace).cancel(job_id)
    out.print(f"Cancelled {job_id}.")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_context
def plugins(context: CommandContext, as_json: bool) -> None:
    """List every plugin with its version, hooks and channels, and any that failed to load."""
    rows = _plugin_rows(context.plugins)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("plugin", "version", "hooks", "channels")
    for row in rows:
        if row["error"]:
            table.add_row(
                f"[red]{row['name']}[/]", row["version"], f"[red]failed: {row['error']}[/]", ""
            )
        else:
            table.add_row(
                row["name"], row["version"], ", ".join(row["hooks"]), ", ".join(row["channels"])
            )
    out.print(table)


def _plugin_rows(plugins: Plugins) -> list[dict[str, Any]]:
    rows = []
    for name, plugin in plugins.manager.list_name_plugin():
        hooks = sorted(caller.name for caller in plugins.manager.get_hookcallers(plugin) or [])
        channels = sorted(c for c, owner in plugins.channel_owners.items() if owner == name)
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
    """Check the configuration and each destination's credentials, without publishing."""
    workspace = context.workspace
    config = workspace.config
    out.print(f"configuration: {config.label} (project folder {config.root})")
    out.print(f"stories: {workspace.stories_dir} ({len(workspace.story_files())} files)")
    problems = 0
    for destination in workspace.destinations():
        channel = workspace.channel_for(destination)
        try:
            account = escape(check_channel(channel, destination, dns=dns))
            out.print(f"[green]ok[/] {destination.name} ({destination.channel}): {account}")
        except (PublisherError, DeliveryError) as error:
            if destination.settings.dry_run:
                out.print(f"[yellow]dry run[/] {destination.name}: {escape(scrub(str(error)))}")
            else:
                problems += 1
                out.print(f"[red]failed[/] {destination.name}: {escape(scrub(str(error)))}")
        finally:
            channel.close()
    if problems:
        raise InputError(f"{problems} destination{'s' * (problems != 1)} cannot publish")


@cli.command()
@click.option("--limit", default=20, show_default=True, help="How many publications to show.")
@pass_context
def status(context: CommandContext, limit: int) -> None:
    """Show recent deliveries (what went where, what failed) and each schedule's last run."""
    workspace = context.workspace
    zone = workspace.config.site.zone
    last_runs = History(workspace.state.engine).last()
    for name in workspace.config.schedules:
        run = last_runs.get(f"{SCHEDULE}{name}")
        said = (
            f"{run['started_at'].astimezone(zone):%Y-%m-%d %H:%M %Z}: "
            f"{run['outcome']}: {run['message']}"
            if run
            else "never run"
        )
        out.print(f"schedule {name}: last run {escape(said)}")
    for answer in context.plugins.hook.publisher_status(destinations=workspace.destinations()):
        for line in answer:
            out.print(escape(line), style="yellow" if line.startswith("warning") else None)
    rows = workspace.ledger.recent(limit)
    if not rows:
        out.print("Nothing has been published yet.")
        return
    table = Table(f"started ({zone.key})", "edition", "destination", "status", "parts")
    for row in rows:
        table.add_row(
            f"{row['started_at'].astimezone(zone):%Y-%m-%d %H:%M}",
            row["edition_id"],
            row["destination"],
            row["status"],
            f"{row['sent']}/{row['parts']}",
        )
    out.print(table)
    for row in rows:
        if row["error"] and row["status"] != "done":
            message = f"{row['destination']}: {row['edition_id']}: {row['error']}"
            out.print(f"[red]failed[/] {escape(message)}")


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
def init(folder: Path) -> None:
    """Write a working config/ and templates/ (and an empty stories/) into FOLDER."""
    written = init_project(folder)
    out.print(f"Wrote {len(written)} files into {folder}/ (config/publisher.toml, templates/).")
    out.print("Next: put a story into stories/, then run: publisher publish --story ID --dry-run")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: load plugins, let them add commands, run, map errors to exit codes."""
    plugins = load_plugins()
    call_each(plugins, "publisher_register_commands", cli=cli)
    try:
        result = cli.main(args=argv, prog_name="publisher", obj=plugins, standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except PublisherError as error:
        err.print(f"[red]error[/]: {escape(scrub(str(error)))}")
        return error.exit_code
    except SQLAlchemyError as error:
        reason = scrub(str(error.orig if getattr(error, "orig", None) else error).splitlines()[0])
        err.print(f"[red]error[/]: the state database failed: {escape(reason)}")
        return 1
    except OSError as error:  # a folder that cannot be written, a file that cannot be read
        where = f"{error.filename}: " if error.filename else ""
        err.print(f"[red]error[/]: {escape(scrub(where + (error.strerror or str(error))))}")
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
