"""A workspace ties one configuration to the plugins, templates, stories and ledger it names.

Commands and the scheduler open a workspace and ask it for stories, editions,
renditions and deliveries; nothing here prints or parses arguments.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from publisher.channel import Channel, DeliveryError, Destination, Rendition
from publisher.config import Config, find_config, load_config
from publisher.defaults import CHANNEL_DISTRIBUTIONS
from publisher.delivery import Outcome, deliver
from publisher.edition import Edition, digest, single
from publisher.errors import ConfigError, InputError, PublisherError, StoryError
from publisher.ledger import Ledger, Unfinished
from publisher.loading import LoadedStory, StoryDefaults, build_story, size_limit
from publisher.migrate import plugin_histories
from publisher.plugins import Plugins, by_plugin, call_each, describe_failure, load_plugins
from publisher.retry import RetryPolicy
from publisher.secrets import scrub
from publisher.social import SocialSettings, check_max_posts
from publisher.state import State
from publisher.story import Story
from publisher.story_index import Entry, StoryIndex, settings_key, story_names
from publisher.templates import Templates
from publisher.version import __version__

log = logging.getLogger(__name__)

Plan = list[tuple[Destination, Edition]]  # what goes where: an edition for each destination


def _lexical(path: Path) -> Path:
    """The absolute path as written, `..` folded, links not followed."""
    return Path(os.path.normpath(path.absolute()))


def _same_id(group: Sequence[Entry]) -> StoryError:
    """Files that share an id: the ledger could not tell their publications apart."""
    first, *others = group
    names = ", ".join(str(other.path) for other in others)
    return StoryError(
        first.path,
        f"the id '{first.story_id}' is also the id of {names}: give each story its own id",
        first.id_line,
    )


@dataclass(frozen=True)
class _Catalogue:
    """The stories folder as the index knows it: usable stories by id, files sharing an id,
    and why each other file cannot be used."""

    usable: dict[str, Entry]
    shared: dict[str, list[Entry]]
    problems: list[StoryError]


def _within_max_posts(
    rendition: Rendition, edition: Edition, destination: Destination
) -> Rendition:
    """A social destination's rendition, refused (InputError) if longer than `max_posts`."""
    if isinstance(destination.settings, SocialSettings):
        check_max_posts(edition, destination, len(rendition.parts))
    return rendition


class Workspace:
    def __init__(
        self,
        config: Config,
        plugins: Plugins,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,  # None: wait, unless a stop comes
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.retry = retry or config.delivery.retry_policy()
        self.sleep = sleep

    @classmethod
    def open(
        cls,
        config_path: Path | None = None,
        cwd: Path | None = None,
        plugins: Plugins | None = None,
    ) -> Workspace:
        """The workspace of `config_path`, else of ./config/publisher.toml, else the defaults."""
        cwd = cwd or Path.cwd()
        plugins = plugins or load_plugins()
        try:
            config = load_config(find_config(config_path, cwd), plugins.channels, cwd)
        except ConfigError as error:
            if not plugins.broken:
                raise
            names = ", ".join(broken.name for broken in plugins.broken)
            raise ConfigError(
                f"{error}; plugins that failed to load: {names} (publisher plugins)"
            ) from None
        return cls(config, plugins)

    def close(self) -> None:
        """Release the state database's connections; whoever opens a workspace closes it
        (`with Workspace.open(...) as workspace:`)."""
        if "state" in self.__dict__:
            self.state.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @cached_property
    def state(self) -> State:
        return State(self.config.state_url, plugin_histories(self.plugins))

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.state.engine)

    @cached_property
    def templates(self) -> Templates:
        plugin_dirs = [
            Path(folder)
            for folders in call_each(self.plugins, "publisher_template_dirs")
            for folder in folders or ()
        ]
        return Templates([self.config.resolve(self.config.site.templates), *plugin_dirs])

    @property
    def stories_dir(self) -> Path:
        return self.config.resolve(self.config.site.stories)

    # Stories ----------------------------------------------------------------------

    def load_story(self, path: Path, published: datetime | None = None) -> LoadedStory:
        """Read one story file; StoryError names the file, line and reason."""
        loaded = self._load(path, published)
        if loaded is None:
            raise StoryError(path, f"no installed loader reads '{path.suffix or path.name}' files")
        return loaded

    def _load(self, path: Path, published: datetime | None = None) -> LoadedStory | None:
        """A story, or None for a file no loader claims (a README among the stories)."""
        if not path.exists():
            raise StoryError(path, "no such file")
        if not path.is_file():
            raise StoryError(path, "not a file")
        self._check_inside_folder(path)
        with size_limit(self.config.site.story_size_limit):
            draft = self.plugins.hook.publisher_load_story(path=path)
        if draft is None:
            return None
        return build_story(draft, self._story_defaults, published)

    @cached_property
    def _story_defaults(self) -> StoryDefaults:
        site = self.config.site
        return StoryDefaults(site.url_pattern, site.zone, self._posts_channel)

    def _posts_channel(self, name: str) -> str | None:
        """Why a story's `posts` may not be keyed by `name`, or None: it must name a channel
        that takes hand-written posts (a social one), installed or built in."""
        installed = self.plugins.channels
        if name in installed and issubclass(installed[name].settings_model, SocialSettings):
            return None
        known = {*CHANNEL_DISTRIBUTIONS, *self.config.missing.values()} - installed.keys()
        if name in known - {"email"}:
            return None  # a channel not installed here: its posts wait for it
        takes = sorted(
            channel
            for channel, model in installed.items()
            if issubclass(model.settings_model, SocialSettings)
        )
        channels = f"posts are keyed by channel: {', '.join(takes) or 'none installed'}"
        destination = self.config.destinations.get(name)
        if destination is not None:
            return (
                f"'{name}' is a destination (a {destination.channel} one), not a channel; "
                f"{channels}"
            )
        if name in installed or name == "email":
            return f"the {name} channel takes no hand-written posts; {channels}"
        return f"'{name}' is not a channel; {channels}"

    def _check_inside_folder(self, path: Path) -> None:
        """A file reached through the stories folder must really be in it: a link that leads
        out (to /etc/passwd, say) is refused. A file named elsewhere is read as named."""
        folder = _lexical(self.stories_dir)
        if not _lexical(path).is_relative_to(folder):
            return
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise StoryError(
                path, f"a link to {target}, outside the stories folder: stories must be in it"
            )

    def find_story(self, reference: str, published: datetime | None = None) -> LoadedStory:
        """A story by path, by file name in the stories folder, or by id (from the index)."""
        path = Path(reference)
        if path.exists():
            return self._alone(self.load_story(path, published))
        for candidate in self.story_files():
            if reference in (candidate.name, candidate.stem):
                return self._alone(self.load_story(candidate, published))
        catalogue = self._catalogue
        if reference in catalogue.shared:
            raise _same_id(catalogue.shared[reference])
        if reference in catalogue.usable:
            return self.load_story(catalogue.usable[reference].path, published)
        if path.suffix or path.parent != Path():
            raise StoryError(path, "no such file")
        where = (
            str(self.stories_dir)
            if self.stories_dir.is_dir()
            else f"{self.stories_dir}, which does not exist"
        )
        unreadable = [entry.error for entry in self._index if entry.error is not None]
        note = (
            f" ({len(unreadable)} file(s) there could not be read, first: {unreadable[0]})"
            if unreadable
            else ""
        )
        raise InputError(f"no story with id '{reference}' in {where}{note}")

    def _alone(self, loaded: LoadedStory) -> LoadedStory:
        """A file of the stories folder named by its path whose id another file there shares
        is refused, naming both, as a reference by id and a digest refuse it: the ledger
        could not tell their publications apart."""
        if not _lexical(loaded.path).is_relative_to(_lexical(self.stories_dir)):
            return loaded
        shared = self._catalogue.shared.get(loaded.story.id)
        if shared:  # the file named first, then the others
            here = _lexical(loaded.path)
            raise _same_id(sorted(shared, key=lambda entry: _lexical(entry.path) != here))
        return loaded

    def story_files(self) -> list[Path]:
        """The files of the stories folder, hidden ones aside; loaders decide which are stories."""
        if not self.stories_dir.is_dir():
            return []
        return sorted(
            p for p in self.stories_dir.iterdir() if p.is_file() and not p.name.startswith(".")
        )

    @property
    def stories(self) -> list[Story]:
        """Every usable story in the stories folder (each parsed); see `story_problems` for
        the others."""
        return [loaded.story for loaded in self.loaded_stories]

    @property
    def loaded_stories(self) -> list[LoadedStory]:
        """`stories` with the file each came from and where each field was read."""
        return [self.load_story(entry.path) for entry in self._catalogue.usable.values()]

    @property
    def story_problems(self) -> list[StoryError]:
        """Why each story file left out of `stories` was left out, file by file."""
        return self._catalogue.problems

    def skipped_stories(self) -> str:
        """The files left out, in one line for a run's record; empty when there are none."""
        problems = self.story_problems
        if not problems:
            return ""
        count = f"{len(problems)} story file{'s' * (len(problems) != 1)}"
        return f"left out {count}: " + "; ".join(str(problem) for problem in problems)

    @cached_property
    def _index(self) -> list[Entry]:
        """Every file of the stories folder, from the story index: only new and changed files
        are parsed."""
        site = self.config.site
        loaders = sorted(
            (impl.plugin_name, self.plugins.versions.get(impl.plugin_name, ""))
            for impl in self.plugins.hook.publisher_load_story.get_hookimpls()
        )
        settings = settings_key(
            __version__,
            str(site.zone),
            site.url_pattern,
            site.story_size_limit,
            loaders,
            self._posts_key(),
        )
        index = StoryIndex(self.state, self.stories_dir, settings, self._load)
        return index.entries(story_names(self.stories_dir))

    def _posts_key(self) -> tuple:
        """What `_posts_channel` decides a story's `posts` by: the channels installed (whether
        each takes hand-written posts, and its plugin's version), the channels destinations
        need that are not installed, and the destinations. A story refused or accepted for
        its posts is parsed again when any of them changes."""
        channels = self.plugins.channels
        installed = sorted(
            (
                name,
                issubclass(channel.settings_model, SocialSettings),
                self.plugins.versions.get(self.plugins.channel_owners.get(name, ""), ""),
            )
            for name, channel in channels.items()
        )
        destinations = sorted((name, d.channel) for name, d in self.config.destinations.items())
        return installed, sorted(self.config.missing.items()), destinations

    @cached_property
    def _catalogue(self) -> _Catalogue:
        """A file that cannot be used, and files that share an id, are left out (and said
        why), so that one bad file does not stop a digest."""
        by_id: dict[str, list[Entry]] = defaultdict(list)
        problems: list[StoryError] = []
        for entry in self._index:
            if entry.error is not None:
                problems.append(entry.error)
            elif entry.story_id is not None:
                by_id[entry.story_id].append(entry)
        shared = {story_id: group for story_id, group in by_id.items() if len(group) > 1}
        problems.extend(_same_id(group) for group in shared.values())
        usable = {story_id: group[0] for story_id, group in by_id.items() if len(group) == 1}
        return _Catalogue(usable, shared, problems)

    def _stories_by_id(self, ids: Iterable[str]) -> dict[str, Story]:
        """The usable stories of `ids` that the folder holds, each parsed."""
        usable = self._catalogue.usable
        return {
            story_id: self.load_story(usable[story_id].path).story
            for story_id in ids
            if story_id in usable
        }

    def digest_for(
        self, destination: str, now: datetime, since: timedelta, max_stories: int | None = None
    ) -> Edition | None:
        """The next digest for one destination.

        A digest a run left unfinished comes first, rebuilt as it was, so that it
        is completed rather than replaced. Otherwise: the stories in the window
        that the destination has not had in a digest yet.
        """
        unfinished = self.ledger.unfinished(destination)
        if unfinished is not None:
            return self._rebuild(unfinished)
        sent = self.ledger.sent_stories(destination)
        start = now - since
        window = [
            story_id
            for story_id, entry in self._catalogue.usable.items()
            if entry.published is not None and start < entry.published <= now
            and story_id not in sent
        ]  # fmt: skip
        return digest(self._stories_by_id(window).values(), now, since, sent, max_stories)

    def unfinished_plan(self, wanted: set[tuple[str, str]]) -> tuple[Plan, list[str]]:
        """The `wanted` (edition id, destination) publications that are still unfinished,
        rebuilt as they were; also why any of them cannot be (a story gone, a destination
        no longer configured)."""
        plan, problems = [], []
        configured = {destination.name: destination for destination in self.destinations()}
        for unfinished in self.ledger.all_unfinished():
            if (unfinished.edition_id, unfinished.destination) not in wanted:
                continue
            where = f"{unfinished.edition_id} to {unfinished.destination}"
            destination = configured.get(unfinished.destination)
            if destination is None:
                problems.append(f"{where}: {unfinished.destination} is no longer configured")
                continue
            try:
                plan.append((destination, self._rebuild(unfinished)))
            except InputError as error:
                problems.append(f"{where}: {error}")
        return plan, problems

    def _rebuild(self, unfinished: Unfinished) -> Edition:
        if unfinished.kind == "story":
            [story_id] = unfinished.story_ids
            return single(self.find_story(story_id).story)
        by_id = self._stories_by_id(unfinished.story_ids)
        missing = [story_id for story_id in unfinished.story_ids if story_id not in by_id]
        if missing:
            skipped = self.skipped_stories()
            raise InputError(
                f"the unfinished digest {unfinished.edition_id} includes '{missing[0]}', which is "
                f"no longer in {self.stories_dir}: put it back so the digest can be completed"
                + (f" ({skipped})" if skipped else "")
            )
        return Edition(
            id=unfinished.edition_id,
            kind="digest",
            stories=[by_id[story_id] for story_id in unfinished.story_ids],
            start=unfinished.start,
            end=unfinished.end,
        )

    def plan_story(
        self,
        reference: str,
        names: Sequence[str] | None = None,
        published: datetime | None = None,
    ) -> tuple[LoadedStory, Plan]:
        """The story `reference` names (a path, a file name or an id), as one edition for
        each named destination (all when None)."""
        loaded = self.find_story(reference, published)
        edition = single(loaded.story)
        return loaded, [(destination, edition) for destination in self.destinations(names)]

    def plan_digest(
        self,
        names: Sequence[str] | None,
        now: datetime,
        since: timedelta,
        max_stories: int | None = None,
        only_unfinished: bool = False,
    ) -> tuple[Plan, list[Destination], dict[str, str]]:
        """Each destination's next digest; also the destinations with nothing new, and why
        any destination's digest cannot be made (by destination name), so that one
        destination's problem (its unfinished digest lost a story) does not stop the others.

        With `only_unfinished`, only the digests that a run left half-delivered.
        """
        plan, idle, problems = [], [], {}
        for destination in self.destinations(names):
            if only_unfinished and self.ledger.unfinished(destination.name) is None:
                continue
            try:
                edition = self.digest_for(destination.name, now, since, max_stories)
            except InputError as error:
                problems[destination.name] = str(error)
                continue
            if edition is None:
                idle.append(destination)
            else:
                plan.append((destination, edition))
        if plan or idle:
            for problem in self.story_problems:
                log.error("left out of the digest: %s", problem)
        return plan, idle, problems

    # Destinations -------------------------------------------------------------------

    def destinations(self, names: Sequence[str] | None = None) -> list[Destination]:
        """The named destinations (all when None), in configuration order."""
        configured = self.config.destinations
        unknown = [name for name in names or () if name not in configured]
        if unknown and unknown[0] in self.config.missing:
            channel = self.config.missing[unknown[0]]
            raise InputError(
                f"destination '{unknown[0]}' needs the {channel} channel, which is not installed"
                f" (pip install {CHANNEL_DISTRIBUTIONS.get(channel, 'the plugin that has it')})"
            )
        if unknown:
            known = ", ".join(configured) or "none"
            raise InputError(f"unknown destination '{unknown[0]}' (configured: {known})")
        chosen = names or list(configured)
        return [
            Destination(
                name,
                configured[name],
                self.config.site,
                self.templates,
                self.state,
                self.config.root,
            )
            for name in configured
            if name in chosen
        ]

    def channel_for(self, destination: Destination) -> Channel:
        return self.plugins.channels[destination.channel]()

    def prepare(self, edition: Edition, destination: Destination) -> Edition:
        """A private copy of the edition, changed by `publisher_prepare_edition` hooks."""
        prepared = copy.deepcopy(edition)
        hook = "publisher_prepare_edition"
        for owner, call in by_plugin(self.plugins, hook):
            try:
                call(edition=prepared, destination=destination)
            except Exception as error:  # before anything is sent: stop the run, name the plugin
                raise ConfigError(
                    f"{destination.name}: {describe_failure(owner, hook, error)}; nothing was "
                    "sent (PUBLISHER_LOAD_PLUGINS can leave the plugin out)"
                ) from error
        return prepared

    def render(self, edition: Edition, destination: Destination) -> Rendition:
        """What `destination` would receive for `edition`: no network, nothing recorded."""
        channel = self.channel_for(destination)
        try:
            prepared = self.prepare(edition, destination)
            return _within_max_posts(channel.render(prepared, destination), prepared, destination)
        finally:
            channel.close()

    def renditions(self, plan: Plan) -> dict[Destination, Rendition]:
        """What each destination of `plan` would receive: no network, nothing recorded."""
        return {destination: self.render(edition, destination) for destination, edition in plan}

    def written_post_problems(self, loaded: LoadedStory) -> list[StoryError]:
        """Why the story's hand-written posts would be refused where they would go: the
        story rendered for each configured destination of a channel it has posts for, so
        that each post is measured against that destination's limit with its channel's own
        count. Other render problems (a template) are `publisher check`'s to report."""
        problems = []
        for destination in self.destinations():
            if destination.channel not in loaded.story.posts:
                continue
            try:
                self.render(single(loaded.story), destination)
            except InputError as error:
                problems.append(StoryError(loaded.path, str(error), loaded.line_of("posts")))
            except PublisherError:
                continue
        return problems

    def check_plan(self, plan: Plan) -> None:
        """Refuse now what would fail when `plan` runs later (`publish --at`): a story a
        destination cannot render, a template error. Nothing is kept or sent."""
        self.renditions(plan)

    def publish(
        self,
        edition_for: Iterable[tuple[Destination, Edition]],
        force: bool = False,
        progress: Callable[[str], Callable[[int, int], None]] | None = None,
        stop: threading.Event | None = None,
    ) -> list[Outcome]:
        """Render and preflight every destination first (bad input or configuration stops
        everything, with nothing sent), then deliver each. A destination that another run
        is delivering is `busy`, and the others go on; every channel opened is closed.

        Setting `stop` ends the run at the next safe point; the ledger keeps the rest.
        """
        opened: list[Channel] = []  # closed whatever happens, each as soon as it is done
        try:
            plan = []
            for destination, edition in edition_for:
                channel = self.channel_for(destination)
                opened.append(channel)
                prepared = self.prepare(edition, destination)
                rendition = _within_max_posts(
                    channel.render(prepared, destination), prepared, destination
                )
                plan.append((destination, prepared, channel, rendition))
                if not destination.settings.dry_run:
                    channel.preflight(destination)
            outcomes = []
            for destination, edition, channel, rendition in plan:
                try:
                    outcomes.append(
                        self._deliver(
                            destination, edition, channel, rendition, force, progress, stop
                        )
                    )
                finally:
                    opened.remove(channel)
                    channel.close()
            return outcomes
        finally:
            with ExitStack() as closing:
                for channel in opened:
                    closing.callback(channel.close)

    def _deliver(
        self,
        destination: Destination,
        edition: Edition,
        channel: Channel,
        rendition: Rendition,
        force: bool,
        progress: Callable[[str], Callable[[int, int], None]] | None,
        stop: threading.Event | None,
    ) -> Outcome:
        if destination.settings.dry_run:
            parts = len(rendition.parts)
            message = f"{parts} part{'s' * (parts != 1)} rendered, nothing sent (dry_run)"
            return Outcome(destination.name, "dry-run", message)
        return deliver(
            self.ledger,
            self.plugins,
            channel,
            edition,
            destination,
            rendition,
            force=force,
            policy=self.retry,
            sleep=self.sleep,
            progress=progress(destination.name) if progress else None,
            stop=stop,
        )

    def send_tests(
        self, edition_for: Iterable[tuple[Destination, Edition]], to: str
    ) -> list[Outcome]:
        """A private copy of each rendition to `to`: nothing recorded, no subscribers reached."""
        outcomes = []
        for destination, edition in edition_for:
            if destination.settings.dry_run:
                message = "test copy rendered, nothing sent (dry_run)"
                outcomes.append(Outcome(destination.name, "dry-run", message))
                continue
            channel = self.channel_for(destination)
            try:
                prepared = self.prepare(edition, destination)
                for part in channel.render(prepared, destination).parts:
                    channel.send_test(part, prepared, destination, to)
            except NotImplementedError:
                message = f"the {destination.channel} channel sends no test copies"
                outcomes.append(Outcome(destination.name, "skipped", message))
            except DeliveryError as error:
                message = f"test copy to {to}: {scrub(str(error))}"
                outcomes.append(Outcome(destination.name, "failed", message))
            else:
                outcomes.append(Outcome(destination.name, "sent", f"test copy to {to}"))
            finally:
                channel.close()
        return outcomes
