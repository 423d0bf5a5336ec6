"""The newsletter as a reader sees it: Debian's chromium, headless, on a 375-pixel phone screen.

The message comes from the outbox (a real copy, as a mail client receives it).
A page around it shows the HTML in a 375-pixel frame and measures, in the
browser, what is visible and how wide everything is; chromium prints the page
with the measurements (`--dump-dom`). `make test` installs chromium when it is
missing (scripts/test-services.sh); without it these tests are skipped.
"""

from __future__ import annotations

import email
import html
import json
import re
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest

from support.mail import READERS, email_config

REPOSITORY = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: run scripts/test-services.sh"),
]
PHONE = 375

MEASURE = """
window.addEventListener("load", () => {
 try {
  const frame = document.getElementById("mail");
  const doc = frame.contentDocument, win = frame.contentWindow;
  const width = win.innerWidth;
  const parse = (c) => (c.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const dark = win.matchMedia("(prefers-color-scheme: dark)").matches;
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(win.getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return dark ? [0, 0, 0] : [255, 255, 255];
  };
  const contrast = (el) => {
    const [a, b] = [luminance(parse(win.getComputedStyle(el).color)), luminance(background(el))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    for (let up = el; up; up = up.parentElement) {
      const s = win.getComputedStyle(up);
      if (s.display === "none" || s.visibility !== "visible") return false;
      if (Number(s.opacity) === 0) return false;
    }
    return r.width > 0 && r.height > 0 && r.left >= -1 && r.right <= width + 1
      && parseFloat(win.getComputedStyle(el).fontSize) >= 10;
  };
  const texts = {};
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const wanted of JSON.parse(document.getElementById("wanted").textContent)) {
    const hits = nodes.filter((n) => n.data.replace(/\\s+/g, " ").includes(wanted))
      .map((n) => n.parentElement).filter(shown);
    texts[wanted] = hits.length ? Math.round(contrast(hits[0]) * 10) / 10 : 0;
  }
  const wide = [...doc.body.querySelectorAll("*")]
    .filter((el) => { const r = el.getBoundingClientRect();
      return r.width > 0 && (r.right > width + 1 || r.left < -1); })
    .slice(0, 5).map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().width}`);
  document.getElementById("report").textContent = JSON.stringify({
    width, dark, scrollWidth: doc.documentElement.scrollWidth, texts, wide,
    scripts: doc.querySelectorAll("script").length,
  });
 } catch (error) {
  document.getElementById("report").textContent = JSON.stringify({error: String(error)});
 }
});
"""


def _html_of(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return message.get_body(("html",)).get_content()


def _measure(mail_html: str, wanted: list[str], folder: Path, dark: bool = False) -> dict:
    """Show `mail_html` in a 375-pixel frame in headless chromium; return what it measured."""
    page = folder / "page.html"
    wanted_json = json.dumps(wanted).replace("</", "<\\/")  # in a script, only "</" matters
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe id="mail" width="{PHONE}" height="900" style="border:0" '
        f'srcdoc="{html.escape(mail_html, quote=True)}"></iframe>'
        f'<script id="wanted" type="application/json">{wanted_json}</script>'
        f'<pre id="report"></pre><script>{MEASURE}</script></body></html>',
        encoding="utf-8",
    )
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={folder / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # remote images fail at once; nothing leaves
        *(["--blink-settings=preferredColorScheme=0"] if dark else []),
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    report = re.search(r'<pre id="report">(.*?)</pre>', done.stdout, re.DOTALL)
    assert report and report.group(1), f"chromium reported nothing: {done.stderr[-2000:]}"
    measured = json.loads(html.unescape(report.group(1)))
    assert "error" not in measured, measured
    return measured


@pytest.fixture
def outbox(project):
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])
    shutil.copy(
        REPOSITORY / "examples" / "stories" / "night-trains-return.md", project.root / "stories"
    )
    return project


def _story_eml(project, story: str) -> Path:
    result = project.run("publish", "--story", story, "--to", "newsletter")
    assert result.code == 0, result.out + result.err
    return project.root / "outbox" / f"story-{story}" / f"{READERS[0]}.eml"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_reader_on_a_phone_sees_headline_dek_and_every_question(outbox, tmp_path, dark):
    wanted = [
        "Night Trains Return to the Alpine Corridor, and the Timetable Is the Hard Part",
        "Three operators will share sleeper services between Zurich, Vienna and Ljubljana",
        "When do tickets go on sale?",
        "Why does the crew change matter so much?",
        "Are there bicycle spaces?",
        "Unsubscribe",
    ]

    seen = _measure(_html_of(_story_eml(outbox, "night-trains-return")), wanted, tmp_path, dark)

    assert seen["dark"] is dark
    assert seen["width"] == PHONE
    assert seen["scrollWidth"] <= PHONE, seen["wide"]
    assert seen["wide"] == []
    for text, contrast in seen["texts"].items():
        assert contrast >= 4.5, f"{text!r} is not visible enough (contrast {contrast})"


def test_markup_in_a_story_shows_as_text_and_never_runs(outbox, tmp_path):
    outbox.add_story(
        "markup.md",
        "---\nheadline: 'Why x < y & </mj-text> <script>alert(1)</script> Matter'\n"
        "dek: 'Tags like <b>bold</b> show as text.'\npublished: 2026-11-20T18:00:00+01:00\n"
        "faq:\n  - q: 'Is <i>this</i> & that safe?'\n    a: Yes.\n---\n\n## Body\n\nText.\n",
    )
    wanted = [
        "Why x < y & </mj-text> <script>alert(1)</script> Matter",
        "Tags like <b>bold</b> show as text.",
        "Is <i>this</i> & that safe?",
    ]

    seen = _measure(_html_of(_story_eml(outbox, "markup")), wanted, tmp_path)

    assert seen["scripts"] == 0
    assert all(seen["texts"][text] >= 4.5 for text in wanted), seen["texts"]


def test_the_digest_fits_a_phone(outbox, tmp_path):
    result = outbox.run("digest", "--since", "3650d", "--to", "newsletter")
    assert result.code == 0, result.out + result.err
    (eml,) = (outbox.root / "outbox").glob("digest-*/*.eml")
    wanted = ["Test News", "Harbour Opens a Night Market", "When does it open?", "Night Trains"]

    seen = _measure(_html_of(eml), wanted, tmp_path)

    assert seen["scrollWidth"] <= PHONE and seen["wide"] == [], seen["wide"]
    assert all(seen["texts"][text] >= 4.5 for text in wanted), seen["texts"]
