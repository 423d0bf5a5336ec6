"""`publisher subscribers import|add|remove|list` through the real command line."""

from __future__ import annotations

import codecs
import csv as csv_module
import re

import pytest

from support.mail import email_config
from support.postgres import postgres_url  # noqa: F401  (a fixture)

TWO_LISTS = """
[destinations.alerts]
channel = "email"
from = "Alerts <alerts@example.org>"
smtp = "outbox:outbox"
"""


def _lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_import_reports_bad_rows_by_line_and_imports_the_rest(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "readers.csv"
    csv.write_text(
        "email,name,status\n"
        "ada@example.org,Ada Lovelace,\n"
        "not-an-address,Nobody,\n"
        "\n"
        "Grace@Example.ORG,Grace Hopper,active\n"
        "linus@example.org,Linus,bounced\n"
        ",No Address,\n"
        "ken@example.org,Ken,sleeping\n"
        "ada@example.org,Ada again,\n",
        encoding="utf-8",
    )

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 2, "bad rows are bad input"
    assert f"{csv}:3: 'not-an-address': An email address must have an @-sign." in result.err
    assert f"{csv}:7: no address" in result.err
    assert f"{csv}:8: unknown status 'sleeping'" in result.err
    assert "3 row(s) refused" in result.err
    assert "Imported 3 new subscriber(s) into list 'newsletter'; 1 already there." in result.out
    listing = project.run("subscribers", "list")
    assert _lines(listing.out) == [
        ["ada@example.org", "active", "Ada", "Lovelace"],
        ["grace@example.org", "active", "Grace", "Hopper"],
        ["linus@example.org", "bounced", "Linus"],
    ]
    assert "3 on list 'newsletter': 2 active, 0 unsubscribed, 1 bounced" in listing.err


def test_import_without_a_header_reads_address_then_name(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "plain.csv"
    csv.write_text("ada@example.org,Ada\ngrace@example.org\n", encoding="utf-8")

    assert project.run("subscribers", "import", str(csv)).code == 0

    assert _lines(project.run("subscribers", "list").out) == [
        ["ada@example.org", "active", "Ada"],
        ["grace@example.org", "active"],
    ]


EXCEL_ROWS = (
    "email{sep}name\r\nada@example.org{sep}Ada Lovelace\r\nrene@example.org{sep}René Ørsted\r\n"
)


@pytest.mark.parametrize(
    ("bom", "encoding", "sep"),
    [
        (b"", "utf-16", "\t"),  # Excel's "Unicode Text": UTF-16 (BOM included), tabs
        (codecs.BOM_UTF16_BE, "utf-16-be", "\t"),
        (b"", "utf-8-sig", ";"),  # Excel's "CSV UTF-8" where the decimal mark is a comma
    ],
    ids=["utf-16-le-tabs", "utf-16-be-tabs", "utf-8-bom-semicolons"],
)
def test_excel_exports_with_a_byte_order_mark_are_read(project, bom, encoding, sep):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "excel.csv"
    csv.write_bytes(bom + EXCEL_ROWS.format(sep=sep).encode(encoding))

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 0, result.err
    assert "Imported 2 new subscriber(s)" in result.out
    assert _lines(project.run("subscribers", "list").out) == [
        ["ada@example.org", "active", "Ada", "Lovelace"],
        ["rene@example.org", "active", "René", "Ørsted"],
    ]


def test_a_file_that_is_not_utf8_is_refused_by_line_and_nothing_is_imported(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "windows.csv"
    csv.write_bytes(EXCEL_ROWS.format(sep=",").replace("Ø", "O").encode("cp1252"))

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 2
    assert f"{csv}:3: byte 0xe9 is not valid UTF-8" in result.err
    assert "save the file as UTF-8" in result.err and "Nothing was imported" in result.err
    assert "Traceback" not in result.err
    assert project.run("subscribers", "list").out == ""


def test_utf16_without_a_byte_order_mark_is_refused_not_guessed(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "bare.csv"
    csv.write_bytes(EXCEL_ROWS.format(sep="\t").encode("utf-16-le"))

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 2
    assert f"{csv}:1: a NUL byte" in result.err and "save the file as UTF-8" in result.err
    assert project.run("subscribers", "list").out == ""


def test_an_import_never_resubscribes_someone_who_left(project):
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", "ada@example.org")
    project.run("subscribers", "remove", "ada@example.org")
    csv = project.root / "again.csv"
    csv.write_text("email\nada@example.org\n", encoding="utf-8")

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 0
    assert "0 new subscriber(s)" in result.out and "1 already there" in result.out
    assert _lines(project.run("subscribers", "list").out) == [["ada@example.org", "unsubscribed"]]


def test_add_remove_and_add_again(project):
    project.write_config(email_config("outbox:outbox"))

    added = project.run("subscribers", "add", "Ada@Example.org", "--name", "Ada")
    twice = project.run("subscribers", "add", "ada@example.org")
    bounced = project.run("subscribers", "remove", "ada@example.org", "--bounced")
    again = project.run("subscribers", "add", "ada@example.org")

    assert added.out.strip() == "Added ada@example.org to list 'newsletter'."
    assert twice.out.strip() == "ada@example.org is already subscribed to list 'newsletter'."
    assert bounced.out.strip() == "ada@example.org is now bounced on list 'newsletter'."
    assert (
        again.out.strip() == "Subscribed ada@example.org to list 'newsletter' again (was bounced)."
    )
    assert _lines(project.run("subscribers", "list", "--status", "active").out) == [
        ["ada@example.org", "active", "Ada"]
    ]


def test_an_address_may_come_with_a_display_name(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "names.csv"
    csv.write_text(
        'email,name\n"Grace Hopper <grace@example.org>",\n"Ken <ken@example.org>",K. T.\n'
    )

    bob = project.run("subscribers", "add", "Bob Example <Bob@Example.org>")
    ada = project.run("subscribers", "add", '"Lovelace, Ada" <ada@example.org>', "--name", "Ada")
    imported = project.run("subscribers", "import", str(csv))

    assert bob.code == 0, bob.err
    assert bob.out.strip() == "Added bob@example.org to list 'newsletter'."
    assert ada.code == 0 and imported.code == 0, ada.err + imported.err
    assert _lines(project.run("subscribers", "list").out) == [
        ["bob@example.org", "active", "Bob", "Example"],
        ["ada@example.org", "active", "Ada"],  # --name wins over the display name
        ["grace@example.org", "active", "Grace", "Hopper"],
        ["ken@example.org", "active", "K.", "T."],  # so does a name column
    ]
    assert project.run("subscribers", "remove", "Bob <bob@example.org>").code == 0


def test_bad_addresses_and_unknown_ones_are_refused(project):
    project.write_config(email_config("outbox:outbox"))

    bad = project.run("subscribers", "add", "ada@@example.org")
    two = project.run("subscribers", "add", "ada@example.org, bob@example.org")
    unnamed = project.run("subscribers", "add", "Ada <>")
    unknown = project.run("subscribers", "remove", "nobody@example.org")

    assert bad.code == 2 and "'ada@@example.org'" in bad.err
    assert two.code == 2 and unnamed.code == 2
    assert project.run("subscribers", "list").out == ""
    assert unknown.code == 2
    assert "nobody@example.org is not on list 'newsletter'" in unknown.err


def test_an_empty_list_says_how_to_fill_it(project):
    project.write_config(email_config("outbox:outbox"))

    result = project.run("subscribers", "list")

    assert result.code == 0 and result.out == ""
    assert "List 'newsletter' has no subscribers yet" in result.err


def test_several_email_destinations_need_to(project):
    project.write_config(email_config("outbox:outbox", TWO_LISTS))

    ambiguous = project.run("subscribers", "add", "ada@example.org")
    chosen = project.run("subscribers", "add", "ada@example.org", "--to", "alerts")
    wrong = project.run("subscribers", "list", "--to", "nowhere")

    assert ambiguous.code == 2
    assert "several email destinations (newsletter, alerts): choose one with --to" in ambiguous.err
    assert chosen.out.strip() == "Added ada@example.org to list 'alerts'."
    assert "ada@example.org" in project.run("subscribers", "list", "--to", "alerts").out
    assert project.run("subscribers", "list", "--to", "newsletter").out == ""
    assert wrong.code == 2 and "'nowhere' is not an email destination" in wrong.err


def test_destinations_can_share_a_list(project):
    shared = TWO_LISTS + 'subscribers = "newsletter"\n'
    project.write_config(email_config("outbox:outbox", shared))
    project.run("subscribers", "add", "ada@example.org", "--to", "newsletter")

    result = project.run("publish", "--story", "night-market", "--to", "alerts")

    assert result.code == 0, result.out + result.err
    assert (project.root / "outbox" / "story-night-market" / "ada@example.org.eml").exists()


# Hostile names: control characters, terminal escapes, bidi overrides, too long for the column.
HOSTILE = "Ada\x1b[2J\x1b]0;owned\x07 \u202eevoL\u202c\x9b31m\x7f Lovelace\tthe\r\nFirst"


def test_control_characters_are_stripped_from_names_at_import_and_add(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "hostile.csv"
    csv.write_text(f'email,name\nada@example.org,"{HOSTILE}"\n', encoding="utf-8")

    imported = project.run("subscribers", "import", str(csv))
    added = project.run("subscribers", "add", "bob@example.org", "--name", HOSTILE)
    listing = project.run("subscribers", "list")

    assert imported.code == 0 and added.code == 0, imported.err + added.err
    assert listing.out.splitlines() == [
        f"{'ada@example.org':<40} {'active':<12} Ada[2J]0;owned evoL31m Lovelace the First",
        f"{'bob@example.org':<40} {'active':<12} Ada[2J]0;owned evoL31m Lovelace the First",
    ]
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in listing.out.replace("\n", ""))


def test_names_stored_before_the_cleaning_are_listed_inert(project):
    from sqlalchemy import create_engine, text

    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", "ada@example.org")
    engine = create_engine(f"sqlite:///{project.root / 'state' / 'publisher.db'}")
    with engine.begin() as db:  # as an older release stored it
        db.execute(text("UPDATE email_subscribers SET name = :name"), {"name": HOSTILE})
    engine.dispose()

    listing = project.run("subscribers", "list")

    assert "\x1b" not in listing.out and "\u202e" not in listing.out
    assert listing.out.split(None, 2)[2].startswith("Ada[2J]0;owned evoL31m Lovelace")


def test_a_name_too_long_for_the_database_is_refused_by_line(project):
    project.write_config(email_config("outbox:outbox"))
    csv = project.root / "long.csv"
    rows = [f"reader{n}@example.org,Reader {n}" for n in range(600)]
    rows[550] = "long@example.org," + "N" * 250  # on a second page of the import
    csv.write_text("email,name\n" + "\n".join(rows) + "\n", encoding="utf-8")

    imported = project.run("subscribers", "import", str(csv))
    added = project.run("subscribers", "add", "longer@example.org", "--name", "N" * 201)

    assert imported.code == 2
    assert imported.err.splitlines()[0] == (
        f"{csv}:552: the name is 250 characters long; at most 200 fit"
    )
    assert "Imported 599 new subscriber(s)" in imported.out
    assert added.code == 2 and "the name is 201 characters long; at most 200 fit" in added.err
    listing = project.run("subscribers", "list").out
    assert "long@example.org" not in listing and "reader599@example.org" in listing


def test_a_long_name_aborts_no_import_on_postgresql(project, request):
    database = request.getfixturevalue("postgres_url")
    project.write_config(
        email_config("outbox:outbox").replace("[site]", f'[site]\nstate = "{database}"')
        + '\nsubscribers = "long-names"\n'
    )
    csv = project.root / "long.csv"
    rows = [f"pg{n}@example.org,Reader {n}" for n in range(600)]
    rows[550] = "pglong@example.org," + "N" * 250
    csv.write_text("email,name\n" + "\n".join(rows) + "\n", encoding="utf-8")

    result = project.run("subscribers", "import", str(csv))

    assert result.code == 2
    assert f"{csv}:552: the name is 250 characters long; at most 200 fit" in result.err
    assert "Imported 599 new subscriber(s) into list 'long-names'" in result.out


# Export: CSV a spreadsheet opens without running formulas, and that imports back as it was.
FORMULAS = [
    ("eq@example.org", '=HYPERLINK("https://evil.example","click")', "active"),
    ("plus@example.org", "+1 555 0100", "active"),
    ("minus@example.org", "-2+3", "unsubscribed"),
    ("at@example.org", "@SUM(A1:A9)", "bounced"),
    ("quote@example.org", "'=already quoted", "active"),
    ("apostrophe@example.org", 'O\'Neil, "Shaq"', "active"),
    ("-dash@example.org", "", "active"),
]


def _fill(project, into: str = "newsletter") -> None:
    for address, name, status in FORMULAS:
        added = project.run("subscribers", "add", f"--name={name}", "--to", into, "--", address)
        assert added.code == 0, added.err
        if status != "active":
            flag = ["--bounced"] if status == "bounced" else []
            removed = project.run("subscribers", "remove", *flag, "--to", into, "--", address)
            assert removed.code == 0, removed.err


def test_export_neutralises_formulas(project):
    project.write_config(email_config("outbox:outbox"))
    _fill(project)

    result = project.run("subscribers", "export")

    assert result.code == 0, result.err
    rows = list(csv_module.reader(result.out.splitlines()))
    assert rows[0] == ["email", "name", "status", "joined"]
    assert [row[:3] for row in rows[1:]] == [
        ["eq@example.org", '\'=HYPERLINK("https://evil.example","click")', "active"],
        ["plus@example.org", "'+1 555 0100", "active"],
        ["minus@example.org", "'-2+3", "unsubscribed"],
        ["at@example.org", "'@SUM(A1:A9)", "bounced"],
        ["quote@example.org", "''=already quoted", "active"],
        ["apostrophe@example.org", 'O\'Neil, "Shaq"', "active"],
        ["'-dash@example.org", "", "active"],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+]00:00)?", r[3]) for r in rows[1:])
    assert result.out.startswith('"email","name","status","joined"\n')

    bounced = project.run("subscribers", "export", "--status", "bounced")
    assert [row[0] for row in csv_module.reader(bounced.out.splitlines())] == [
        "email",
        "at@example.org",
    ]


def test_export_then_import_gives_the_same_list(project):
    project.write_config(email_config("outbox:outbox", TWO_LISTS))
    _fill(project)
    exported = project.root / "exports" / "newsletter.csv"
    exported.parent.mkdir()

    written = project.run("subscribers", "export", "--to", "newsletter", str(exported))
    imported = project.run("subscribers", "import", "--to", "alerts", str(exported))

    assert written.code == 0, written.err
    assert written.err.strip() == f"Exported 7 subscriber(s) of list 'newsletter' to {exported}."
    assert imported.code == 0, imported.err
    assert "Imported 7 new subscriber(s) into list 'alerts'" in imported.out
    original = project.run("subscribers", "list", "--to", "newsletter").out
    copy = project.run("subscribers", "list", "--to", "alerts").out
    assert copy == original and len(original.splitlines()) == 7
    assert sorted(p.name for p in exported.parent.iterdir()) == ["newsletter.csv"]
