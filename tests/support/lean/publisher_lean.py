"""A plugin whose hook implementations declare fewer arguments than the specifications.

pluggy hands each implementation only the arguments it names, so every one of
these is valid; `CALLED` records which hooks reached it.
"""

import click

from publisher import hookimpl

CALLED: list[str] = []


@hookimpl
def publisher_register_channels():
    CALLED.append("publisher_register_channels")


@hookimpl
def publisher_load_story():
    CALLED.append("publisher_load_story")


@hookimpl
def publisher_prepare_edition(edition):
    for story in edition.stories:
        story.headline = f"[lean] {story.headline}"


@hookimpl
def publisher_published(receipt):
    click.echo(f"lean: announced {receipt.url}")


@hookimpl
def publisher_register_commands():
    CALLED.append("publisher_register_commands")


@hookimpl
def publisher_register_routes():
    CALLED.append("publisher_register_routes")


@hookimpl
def publisher_status():
    return ["lean: all quiet"]


@hookimpl
def publisher_fetch_bounces():
    return ["lean: no bounce mailbox"]


@hookimpl
def publisher_serve_check():
    CALLED.append("publisher_serve_check")
    return []
