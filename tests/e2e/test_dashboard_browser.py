"""The dashboard in a real browser (Debian's Chromium, headless, through selenium's
chromedriver) against the whole platform as processes: sign in with the admin token,
register a local repository, analyse it and watch the progress reach "succeeded" without
a reload, see the score and the generated CI, and attacker-controlled text shown inert.

Screenshots land in the test's folder; with DASHBOARD_SCREENSHOTS=docs/img they are also
copied there, for docs/dashboard.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.e2e.conftest import ROOT, Stack
from tests.helpers import make_repo

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_FILE = "<svg onload=alert(2)>.env"
# A token-shaped value the secret scanner reports (never a real credential).
FAKE_SECRET = "ghp_" + "x7Qk2Lm9Pz4Rt6Wv8Yb1Nc3Df5Gh7Jk9Lm1Op"  # dashboard test data


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(executable_path=shutil.which("chromedriver"))
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: WebDriver, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"dashboard-{name}.png"
    assert driver.save_screenshot(str(path))
    target = os.environ.get("DASHBOARD_SCREENSHOTS")
    if target:
        folder = ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)


def no_alert(driver: WebDriver) -> None:
    assert ec.alert_is_present()(driver) is False


def test_sign_in_register_analyse_and_watch(
    stack: Stack, browser: WebDriver, tmp_path: Path
) -> None:
    token = stack.cli("token", "create", "--login", "admin", "--org", "default")
    project = tmp_path / XSS_NAME
    make_repo(
        project,
        {
            "README.md": "# project\n\nRun `pytest`.\n",
            "pyproject.toml": '[project]\nname = "p"\nversion = "0.1.0"\n',
            "tests/test_p.py": "def test_p():\n    assert True\n",
            XSS_FILE: f"GITHUB_TOKEN={FAKE_SECRET}\n",
        },
    )
    wait = WebDriverWait(browser, 60, poll_frequency=0.2)

    browser.get(f"{stack.url}/dashboard")
    assert "/dashboard/signin" in browser.current_url
    browser.find_element(By.ID, "token").send_keys(token)
    shot(browser, tmp_path, "signin")
    browser.find_element(By.CSS_SELECTOR, "form[action='/dashboard/signin'] button").click()
    wait.until(ec.presence_of_element_located((By.ID, "register-title")))

    browser.find_element(By.ID, "kind-path").click()
    browser.find_element(By.ID, "location").send_keys(str(project))
    browser.find_element(By.CSS_SELECTOR, "form[action='/dashboard/repos'] button").click()
    wait.until(ec.url_contains("/dashboard/repos/"))
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert heading.text == f"local/{XSS_NAME}"  # shown as text, not markup
    no_alert(browser)

    browser.find_element(By.ID, "analyse").click()
    # The page loads once after the form; from then on only the script updates it.
    wait.until(ec.url_contains("after="))
    browser.execute_script("window.__sameDocument = true")
    # sync, then analysis, then CI generation: the chain ends with the CI job.
    wait.until(
        lambda d: (
            (
                d.find_element(By.ID, "live-status").get_attribute("data-kind"),
                d.find_element(By.ID, "live-status").get_attribute("data-state"),
            )
            == ("ci_generation", "succeeded")
        )
    )
    score = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#score .band")))
    assert browser.execute_script("return window.__sameDocument") is True
    assert any(ch.isdigit() for ch in score.text)
    events = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#events li")]
    assert any(text.startswith("analysis succeeded") for text in events), events
    # The finding whose path is markup is text on the page, and nothing ran.
    findings = browser.find_element(By.ID, "report").text
    assert XSS_FILE in findings
    assert browser.find_elements(By.CSS_SELECTOR, "img[onerror], svg[onload]") == []
    no_alert(browser)
    shot(browser, tmp_path, "repository")

    browser.find_element(By.LINK_TEXT, "Generated CI").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".ci .hl")))
    assert "jobs:" in browser.find_element(By.CSS_SELECTOR, ".ci .hl").text
    assert browser.find_element(By.ID, "validation-1").text in ("passed", "failed")
    shot(browser, tmp_path, "ci")

    browser.get(f"{stack.url}/dashboard")
    row = browser.find_element(By.CSS_SELECTOR, "table.repos tbody tr")
    assert XSS_NAME in row.text
    no_alert(browser)
    shot(browser, tmp_path, "overview")

    browser.get(f"{stack.url}/dashboard/jobs")
    statuses = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#jobs .job-status")]
    assert statuses.count("succeeded") >= 3, statuses  # sync, analysis, CI generation
    shot(browser, tmp_path, "jobs")
