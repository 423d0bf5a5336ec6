"""Configuration: `config/publisher.toml`, validated, with `${VAR}` environment references.

The file is `--config` (or PUBLISHER_CONFIG), else `config/publisher.toml` in
the current folder or the nearest parent that has one, as git finds `.git`.
Relative paths are read from the project folder: the folder that holds
`config/` (or the configuration file's own folder when it lives elsewhere).
With no configuration file at all, the embedded defaults apply, rooted in the
current folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, Literal, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from publisher import defaults
from publisher.errors import ConfigError
from publisher.retry import RetryPolicy
from publisher.secrets import EnvText, Secret, expand
from publisher.story import OneLine, Url
from publisher.textfiles import read_utf8

CONFIG_PATH = Path("config/publisher.toml")
# Destination names become folder names (previews, outboxes) and log fields.
_NAME = re.compile(r"[.\[]")  # where a placeholder's name ends and access to it begins
_DESTINATION_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DURATION = re.compile(r"(\d+)\s*([wdhms])")
_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
LONGEST_DURATION = timedelta(days=36_525)  # 100 years


def parse_duration(text: str) -> timedelta:
    """'7d', '2w', '36h', '1d12h', '30s' -> a timedelta of at most `LONGEST_DURATION`.

    The bound keeps date arithmetic safe: a digest's window reaches back from now,
    and stories are dated 1900 to 2200.
    """
    compact = text.replace(" ", "").lower()
    parts = _DURATION.findall(compact)
    shown = text if len(text) <= 40 else text[:39] + "…"
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"'{shown}' is not a duration such as 7d, 2w, 36h or 30s")
    # Counted in seconds before any timedelta is made (one that large raises OverflowError),
    # and without turning thousands of digits into an int (which raises ValueError).
    longest = int(LONGEST_DURATION.total_seconds())
    seconds = sum(
        int(number) * _SECONDS[unit] if len(number) <= 12 else longest + 1 for number, unit in parts
    )
    if seconds > longest:
        raise ValueError(
            f"'{shown}' is longer than the {LONGEST_DURATION.days}d (100 years) a duration may be"
        )
    return timedelta(seconds=seconds)


_SIZE = re.compile(r"(\d{1,12}(?:\.\d{1,6})?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9}
_SIZE_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30})


def parse_size(text: str) -> int:
    """'1MB', '500 KB', '2MiB', '4096' -> bytes."""
    found = _SIZE.fullmatch(text.strip())
    size = int(float(found.group(1)) * _SIZE_UNITS[(found.group(2) or "b").lower()]) if found else 0
    if size < 1:
        raise ValueError(f"'{text}' is not a size such as 1MB, 500KB or 2MiB")
    return size


def _size(text: str) -> str:
    parse_size(text)
    return text


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone '{name}' (use a name such as Europe/Berlin)") from None
    return name


def check_pattern(pattern: str, sample: Mapping[str, object]) -> str:
    """A settings pattern (a subject, a URL) checked when the configuration loads: its
    placeholders are plain names from `sample`, as `{headline}` or `{date:%d %B %Y}`, with
    no attribute access or indexing (`{headline.__class__}` would reach into Python), and
    it formats with the sample values. Raises ValueError saying what is wrong.

    >>> from datetime import date
    >>> check_pattern("{site}: {date:%d %B}", {"site": "News", "date": date(2026, 1, 1)})
    '{site}: {date:%d %B}'
    >>> check_pattern("{site.__class__}", {"site": "News"})
    Traceback (most recent call last):
    ValueError: not a valid pattern: {site.__class__} reaches into a value (attribute access ...
    """
    allowed = ", ".join(f"{{{key}}}" for key in sample)
    try:
        fields = [item for item in Formatter().parse(pattern) if item[1] is not None]
    except ValueError as error:  # a lone { or }
        raise ValueError(f"not a valid pattern ({error}); use {allowed}") from None
    for _, name, spec, conversion in fields:
        shown = "{" + (name or "") + (f"!{conversion}" if conversion else "")
        shown += (f":{spec}" if spec else "") + "}"
        if not name or name.isdigit():  # {} and {0} are filled by position
            raise ValueError(f"a placeholder without a name; use {allowed}")
        if not name.isidentifier():
            raise ValueError(
                f"not a valid pattern: {shown} reaches into a value (attribute access or "
                f"indexing); a placeholder names one value, as in {{{_NAME.split(name, 1)[0]}}}; "
                f"use {allowed}"
            )
        if conversion or "{" in (spec or ""):
            raise ValueError(
                f"not a valid pattern: {shown}; only {{name}} or {{name:format}} is allowed, "
                f"without !conversion or a placeholder inside the format; use {allowed}"
            )
        if name not in sample:
            raise ValueError(f"unknown placeholder {{{name}}}; use {allowed}")
    try:
        pattern.format(**sample)
    except (ValueError, TypeError) as error:
        raise ValueError(f"not a valid pattern ({error}); use {allowed}") from None
    return pattern


def _story_url(pattern: str) -> str:
    """A URL pattern with `{site}` and `{id}` and nothing else between braces."""
    try:
        return check_pattern(pattern, {"site": "https://news.example.org", "id": "id"})
    except ValueError as error:
        raise ValueError(
            f"'{pattern}' may use only {{site}} and {{id}}, as in '{{site}}/stories/{{id}}' "
            f"({error})"
        ) from None


def _database_url(url: str) -> str:
    # Imported here: every channel imports this module (ChannelSettings), most never a database.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError:
        raise ValueError(
            "not a database URL such as sqlite:///state/publisher.db or "
            "postgresql+psycopg://user@host/publisher"
        ) from None
    return url


def _duration(text: str) -> str:
    parse_duration(text)
    return text


Duration = Annotated[str, AfterValidator(_duration)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class ChannelSettings(_Settings):
    """Settings every destination has; a channel subclasses this with its own keys.

    An unknown key or a bad value in a destination's table stops the run with
    the file and key named:

    >>> class WebhookSettings(ChannelSettings):
    ...     url: str
    >>> WebhookSettings(channel="webhook", url="https://hooks.example.org").dry_run
    False
    """

    channel: str
    dry_run: bool = False


class ChannelClass(Protocol):
    """What the configuration needs of a channel class: the model of its settings."""

    settings_model: type[ChannelSettings]


class SiteSettings(_Settings):
    name: OneLine = "Publisher"  # in subjects, From names and page titles: made inert here
    url: Url = "https://news.example.org"
    stories: Path = Path("stories")
    templates: Path = Path("templates")
    state: Annotated[str, AfterValidator(_database_url)] = "sqlite:///state/publisher.db"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    story_url: Annotated[str, AfterValidator(_story_url)] = "{site}/stories/{id}"
    digest_since: Duration = "7d"
    max_story_size: Annotated[str, AfterValidator(_size)] = "1MB"  # larger files are refused

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def story_size_limit(self) -> int:
        return parse_size(self.max_story_size)

    @property
    def url_pattern(self) -> str:
        """The story URL pattern with the site URL filled in; `{id}` left for each story."""
        return self.story_url.replace("{site}", self.url.rstrip("/"))


class DeliverySettings(_Settings):
    """How long a run keeps retrying a part before recording a failure."""

    attempts: int = Field(default=5, ge=1, le=20)
    first_pause: Duration = "2s"  # doubled on each retry, with jitter
    longest_pause: Duration = "2m"
    longest_wait: Duration = "15m"  # a rate limit resetting later ends the run

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.attempts,
            first_pause=parse_duration(self.first_pause).total_seconds(),
            longest_pause=parse_duration(self.longest_pause).total_seconds(),
            longest_wait=parse_duration(self.longest_wait).total_seconds(),
        )


def _cron(text: str) -> str:
    from apscheduler.triggers.cron import CronTrigger  # as for _database_url

    try:
        CronTrigger.from_crontab(text)
    except ValueError as error:
        raise ValueError(
            f"'{text}' is not a cron expression such as '0 8 * * mon': {error}"
        ) from None
    return text


class ScheduleSettings(_Settings):
    cron: Annotated[str, AfterValidator(_cron)]
    job: Literal["digest"] = "digest"
    since: Duration = "7d"
    to: list[str] = Field(default_factory=list)
    max_stories: int | None = Field(default=None, ge=1)
    grace: Duration = "6h"  # a run missed by more than this (machine off) is skipped


class BouncesSettings(_Settings):
    """`[bounces]`: how often `schedule run` reads the bounce mailboxes (never when unset)."""

    every: Duration | None = None


@dataclass(frozen=True)
class Config:
    """A loaded configuration: the site, each destination's settings, the schedules."""

    path: Path | None  # None when the embedded defaults are in use
    root: Path
    site: SiteSettings
    delivery: DeliverySettings
    destinations: Mapping[str, ChannelSettings]
    schedules: Mapping[str, ScheduleSettings]
    bounces: BouncesSettings = field(default_factory=BouncesSettings)
    # Destinations of the embedded defaults left out, by name: the channel nobody installed.
    missing: Mapping[str, str] = field(default_factory=dict)

    def missing_channels(self) -> dict[str, list[str]]:
        """Each channel the embedded defaults need and nobody installed, with its destinations."""
        channels: dict[str, list[str]] = {}
        for destination, channel in self.missing.items():
            channels.setdefault(channel, []).append(destination)
        return channels

    def resolve(self, path: Path) -> Path:
        """A path from the configuration, read relative to the project folder."""
        return path if path.is_absolute() else self.root / path

    @property
    def state_url(self) -> str:
        """The state database URL; a relative SQLite path is made absolute from the root."""
        prefix = "sqlite:///"
        if self.site.state.startswith(prefix) and not self.site.state.startswith(prefix + "/"):
            relative = self.site.state.removeprefix(prefix)
            if relative and relative != ":memory:":
                return prefix + str(self.resolve(Path(relative)))
        return self.site.state

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "embedded defaults"


def find_config(explicit: Path | None, cwd: Path) -> Path | None:
    """The configuration file to use: --config; else config/publisher.toml in `cwd` or the
    nearest parent that has one; else None, for the embedded defaults rooted in `cwd`.

    The embedded defaults' own file (this repository's config/publisher.toml) is
    not a project's: found on the way up (from a demo/ folder in the
    repository, say), it means the defaults, rooted where the user is.
    """
    if explicit is not None:
        if explicit.is_dir():
            raise ConfigError(
                f"{explicit}: is a folder; --config takes the configuration file itself, "
                f"such as {explicit / CONFIG_PATH}"
            )
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return explicit
    embedded = defaults.config_file().resolve()
    here = cwd.absolute()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_PATH
        if candidate.is_dir():
            raise ConfigError(f"{candidate}: is a folder, where the configuration file should be")
        if candidate.is_file():
            return None if candidate.resolve() == embedded else candidate
    return None


def load_config(
    path: Path | None, channels: Mapping[str, ChannelClass], cwd: Path | None = None
) -> Config:
    """Read and validate a configuration; `channels` maps channel names to their classes."""
    cwd = cwd or Path.cwd()
    source = path or defaults.config_file()
    label = str(path) if path else "embedded defaults"
    try:
        raw = tomllib.loads(read_utf8(source))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{label}: invalid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{label}: cannot read: {error.strerror or error}") from None
    raw = _expand_all(raw)
    unknown = set(raw) - {"site", "delivery", "destinations", "schedules", "bounces"}
    if unknown:
        raise ConfigError(f"{label}: unknown section [{sorted(unknown)[0]}]")

    site = _validate(SiteSettings, raw.get("site", {}), label, "site")
    delivery = _validate(DeliverySettings, raw.get("delivery", {}), label, "delivery")
    tables = _table(raw, "destinations", label)
    # The embedded defaults name every built-in channel; they run with those installed.
    missing = {
        name: str(settings.get("channel"))
        for name, settings in tables.items()
        if path is None and settings.get("channel") not in channels
    }
    destinations = {
        _destination_name(name, label): _destination(name, settings, channels, label)
        for name, settings in tables.items()
        if name not in missing
    }
    schedules = {
        name: _validate(ScheduleSettings, settings, label, f"schedules.{name}")
        for name, settings in _table(raw, "schedules", label).items()
    }
    schedules = {
        name: schedule.model_copy(update={"to": [t for t in schedule.to if t not in missing]})
        for name, schedule in schedules.items()
    }
    for name, schedule in schedules.items():
        for target in schedule.to:
            if target not in destinations:
                raise ConfigError(
                    f"{label}: schedules.{name}.to: unknown destination '{target}' "
                    f"(known: {', '.join(destinations) or 'none'})"
                )
    bounces = _validate(BouncesSettings, raw.get("bounces", {}), label, "bounces")
    root = _project_root(path) if path else cwd.absolute()
    return Config(path, root, site, delivery, destinations, schedules, bounces, missing)


def _project_root(path: Path) -> Path:
    folder = path.resolve().parent
    return folder.parent if folder.name == "config" else folder


def _table(raw: dict, name: str, label: str) -> dict[str, Any]:
    table = raw.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ConfigError(f"{label}: [{name}] must hold one table per entry, as [{name}.NAME]")
    return table


def _destination_name(name: str, label: str) -> str:
    if not _DESTINATION_NAME.fullmatch(name):
        raise ConfigError(
            f"{label}: [destinations.{name}]: a destination name is letters, digits, "
            "'-' and '_' only (it names folders and log lines)"
        )
    return name


def _destination(
    name: str, settings: dict[str, Any], channels: Mapping[str, ChannelClass], label: str
) -> ChannelSettings:
    channel = settings.get("channel")
    if not isinstance(channel, str) or channel not in channels:
        known = ", ".join(sorted(channels)) or "none are installed"
        what = f"unknown channel '{channel}'" if channel else "no channel given"
        install = defaults.CHANNEL_DISTRIBUTIONS.get(str(channel))
        advice = f"; pip install {install} provides it" if install else ""
        raise ConfigError(f"{label}: destinations.{name}.channel: {what} (known: {known}){advice}")
    model = channels[channel].settings_model
    return _validate(model, settings, label, f"destinations.{name}")


def _validate(model: type[BaseModel], values: Any, label: str, where: str) -> Any:
    if isinstance(values, dict):
        _check_unset(model, values, label, where)
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in (where, *first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(f"{label}: {key}: {message}") from None


def _check_unset(model: type[BaseModel], values: dict, label: str, where: str) -> None:
    """An unset `${VAR}` is fine for a secret (reported when used), an error anywhere else."""
    secret_keys = {
        key
        for name, field in model.model_fields.items()
        if field.annotation is Secret or Secret in get_args(field.annotation)
        for key in (name, field.alias)
    }
    for key, value in values.items():
        if isinstance(value, EnvText) and value.unset and key not in secret_keys:
            raise ConfigError(
                f"{label}: {where}.{key}: environment variable {', '.join(value.unset)} is not set"
            )


def _expand_all(value: Any) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, dict):
        return {key: _expand_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_all(item) for item in value]
    return value
