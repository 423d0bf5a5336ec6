"""A reader's whole journey in headless Chromium (Debian's chromium and chromium-driver):
sign up on the form, confirm from the email, receive the next newsletter, leave through its
unsubscribe link, and see `publisher subscribers list` agree. Every page is photographed at
375 and 1,200 pixels wide, into the folder printed at the end.

`publisher serve` and `publisher publish` run as the real command line; mail goes to a real
SMTP server on 127.0.0.1. Selenium drives /usr/bin/chromedriver and never downloads one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.mail import email_config
from support.web import free_port, link_in, spawn_serve, stop

CHROMIUM = shutil.which("chromium")
DRIVER = "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or not Path(DRIVER).exists(),
        reason="chromium or chromium-driver missing: run scripts/test-services.sh",
    ),
]
WIDTHS = (375, 1200)
READER = "margaret@example.net"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("PUBLISHER_ARTIFACTS") or tmp_path_factory.getbasetemp())
    folder = folder / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager never fetches anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _photograph(driver, folder: Path, name: str) -> None:
    """The whole page at each width, as a phone and a desktop show it."""
    for width in WIDTHS:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": max(height, 600),
                "deviceScaleFactor": 1,
                "mobile": width < 600,
            },
        )
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} is wider than {width} pixels ({scroll})"
        driver.save_screenshot(str(folder / f"{name}-{width}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _press(driver, selector: str) -> str:
    """Click a button and wait for the page it leads to; that page's heading."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(before))
    return driver.find_element(By.TAG_NAME, "h1").text


def _cli(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", "--config", str(project.config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project.root,
    )


def test_a_reader_signs_up_confirms_receives_and_leaves_in_chromium(
    project, smtp, browser, screenshots
):
    from selenium.webdriver.common.by import By

    mailbox, smtp_url = smtp
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = email_config(smtp_url, 'archive_url = "{site}/archive/{edition}"')
    project.write_config(config.replace("https://news.example.org", url))
    server = spawn_serve(project, port)
    try:
        browser.get(f"{url}/subscribe")
        assert browser.title == "Subscribe · Test News"
        _photograph(browser, screenshots, "1-subscribe")
        browser.find_element(By.ID, "email").send_keys(READER)
        browser.find_element(By.ID, "name").send_keys("Margaret Hamilton")
        assert _press(browser, "form button[type=submit]") == "Check your inbox"
        _photograph(browser, screenshots, "2-check-your-inbox")

        [confirmation] = mailbox.to(READER)
        browser.get(link_in(confirmation, "/confirm"))
        _photograph(browser, screenshots, "3-confirm")
        assert _press(browser, "form button") == "You are subscribed"
        _photograph(browser, screenshots, "4-subscribed")

        published = _cli(project, "publish", "--story", "night-market", "--to", "newsletter")
        assert published.returncode == 0, published.stdout + published.stderr
        [newsletter] = [m for m in mailbox.to(READER) if m is not confirmation]
        html = newsletter.get_body(("html",)).get_content()
        unsubscribe = re.search(r'href="([^"]*/unsubscribe\?token=[^"]+)"', html).group(1)

        browser.get(f"{url}/archive")
        _photograph(browser, screenshots, "5-archive")
        _press(browser, "ol.editions a")
        assert "Harbour Opens a Night Market" in browser.title
        _photograph(browser, screenshots, "6-edition")

        browser.get(unsubscribe)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Unsubscribe from Test News?"
        _photograph(browser, screenshots, "7-unsubscribe")
        assert _press(browser, "form button") == "You are unsubscribed"
        _photograph(browser, screenshots, "8-unsubscribed")

        browser.get(f"{url}/unsubscribe?token=not-a-token")
        _photograph(browser, screenshots, "9-invalid-link")
    finally:
        _, err = stop(server)
    assert "Traceback" not in err, err

    listed = _cli(project, "subscribers", "list")
    assert re.search(
        rf"^{re.escape(READER)}\s+unsubscribed\s+Margaret Hamilton$", listed.stdout, re.M
    )
    print(f"\nscreenshots: {screenshots}")
    assert len(list(screenshots.glob("*.png"))) == 9 * len(WIDTHS)
