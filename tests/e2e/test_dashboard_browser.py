"""The dashboard in a real browser (Debian's Chromium, headless, through selenium's
chromedriver) against the whole platform as processes: sign in with the admin token,
register a local repository, analyse it and watch the progress reach "succeeded" without
a reload, see the score and the generated CI, and attacker-controlled text shown inert.

A second test opens a pull request from the CI page of a GitHub repository, GitHub being
the local fake that speaks its REST protocol (tests/fakes/github.py), and sees its link;
then a rehearsal uploaded for the workflow shows on that page.

Screenshots land in the test's folder; with DASHBOARD_SCREENSHOTS=docs/img they are also
copied there, for docs/dashboard.md.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from libs.common.crypto import Keyring, generate_key
from libs.common.db.pool import connect
from libs.common.rehearsal import workflow_digest
from libs.common.schemas import Repository
from services.cli.rehearsal_upload import Api, Target
from tests.conftest import Tenant, make_tenant
from tests.e2e.conftest import ROOT, Stack
from tests.fakes.github import FakeGitHub
from tests.helpers import github_repository, make_repo

T = TypeVar("T")

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_FILE = "<svg onload=alert(2)>.env"
# A token-shaped value the secret scanner reports (never a real credential).
FAKE_SECRET = "ghp_" + "x7Qk2Lm9Pz4Rt6Wv8Yb1Nc3Df5Gh7Jk9Lm1Op"  # dashboard test data


@dataclass
class Outside:
    """GitHub (the local fake) on an event loop of its own thread: the test's selenium
    calls block, and the stack's worker calls GitHub meanwhile."""

    github: FakeGitHub
    loop: asyncio.AbstractEventLoop
    key: str  # ENCRYPTION_KEY of the stack, to store a GitHub token as it would

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(30)


@pytest.fixture
def outside() -> Iterator[Outside]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake github", daemon=True)
    thread.start()
    world = Outside(FakeGitHub(), loop, generate_key())
    world.run(world.github.start())
    try:
        yield world
    finally:
        world.run(world.github.close())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def stack_env(outside: Outside) -> dict[str, str]:
    return {"GITHUB_API_URL": outside.github.api_url, "ENCRYPTION_KEY": outside.key}


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


async def github_project(database_url: str, outside: Outside) -> tuple[Tenant, Repository]:
    """A tenant with a GitHub repository registered through GitHub sign-in (its token
    stored encrypted), whose code the fake serves."""
    github = outside.github
    github.add_repo(
        "octo/shop",
        {
            "README.md": "# shop\n\nRun `pytest`.\n",
            "pyproject.toml": '[project]\nname = "shop"\nversion = "0.1.0"\n',
            "tests/test_shop.py": "def test_shop():\n    assert True\n",
        },
    )
    _, token = github.add_user("octo")
    conn = await connect(database_url)
    try:
        tenant = await make_tenant(conn, "octo", "octo-org")
        repo = await github_repository(conn, tenant, "octo/shop", Keyring(outside.key), token=token)
    finally:
        await conn.close()
    return tenant, repo


def sign_in(browser: WebDriver, stack: Stack, token: str, wait: WebDriverWait[WebDriver]) -> None:
    browser.get(f"{stack.url}/dashboard")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, "form[action='/dashboard/signin'] button").click()
    wait.until(ec.presence_of_element_located((By.ID, "register-title")))


def wait_for_ci_job(browser: WebDriver, wait: WebDriverWait[WebDriver]) -> None:
    """Until the live status says the chain's last job, CI generation, succeeded."""
    wait.until(
        lambda d: (
            (
                d.find_element(By.ID, "live-status").get_attribute("data-kind"),
                d.find_element(By.ID, "live-status").get_attribute("data-state"),
            )
            == ("ci_generation", "succeeded")
        )
    )


def test_open_a_pull_request_from_the_ci_page(
    stack: Stack, browser: WebDriver, outside: Outside, database_url: str, tmp_path: Path
) -> None:
    tenant, repo = outside.run(github_project(database_url, outside))
    wait = WebDriverWait(browser, 60, poll_frequency=0.2)
    sign_in(browser, stack, tenant.token, wait)

    browser.get(f"{stack.url}/dashboard/repos/{repo.id}")
    browser.find_element(By.ID, "analyse").click()
    wait.until(ec.url_contains("after="))
    wait_for_ci_job(browser, wait)

    browser.find_element(By.LINK_TEXT, "Generated CI").click()
    button = wait.until(
        ec.element_to_be_clickable((By.XPATH, "//form[contains(@action, '/pull-request')]/button"))
    )
    assert button.text == "Open pull request"
    button.click()
    wait.until(ec.url_contains("after="))
    wait_for_ci_job(browser, wait)
    events = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#events li")]
    assert any("pull request" in text for text in events), events

    (pull,) = outside.github.repos["octo/shop"].pulls
    browser.find_element(By.LINK_TEXT, "Generated CI").click()
    link = wait.until(ec.presence_of_element_located((By.LINK_TEXT, pull["html_url"])))
    assert link.get_attribute("href") == pull["html_url"]
    assert pull["html_url"].endswith("/octo/shop/pull/1")
    assert pull["base"]["ref"] == "main"
    # The button is gone: the page shows the pull request instead.
    assert browser.find_elements(By.XPATH, "//form[contains(@action, '/pull-request')]") == []
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    shot(browser, tmp_path, "pull-request")

    # A rehearsal of that workflow, uploaded as `autodevops ci rehearse --upload` does.
    api = Api(stack.url, tenant.token)
    target = api.generated_ci(str(repo.id))
    api.upload(str(repo.id), rehearsal_of(target))
    browser.refresh()
    outcome = wait.until(ec.presence_of_element_located((By.ID, "rehearsal-1")))
    assert outcome.text == "failed"
    table = browser.find_element(By.CSS_SELECTOR, "table.rehearsal").text
    assert "exit code 1" in table
    assert "needs secrets.CODECOV_TOKEN" in table
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -80)", outcome
    )
    shot(browser, tmp_path, "ci-rehearsal")


def rehearsal_of(target: Target) -> dict[str, Any]:
    """The upload of a rehearsal of `target`, as the command sends it."""
    return {
        "ci_config_id": target.ci_config_id,
        "workflow_sha256": workflow_digest(target.content),
        "commit": target.commit,
        "report": {
            "workflow": f"{target.path} (generated for {target.commit[:12]})",
            "root": "/home/octo/shop",
            "event": "push",
            "jobs": [
                {
                    "id": "python",
                    "name": "Python",
                    "status": "failed",
                    "substitutions": ["Python 3.13.1 (pyenv)"],
                    "steps": [
                        {"name": "Check out", "status": "passed", "kind": "uses"},
                        {
                            "name": "Test (python -m pytest)",
                            "status": "failed",
                            "kind": "run",
                            "reason": "exit code 1",
                            "exit_code": 1,
                            "output_tail": "FAILED tests/test_shop.py::test_shop",
                        },
                        {
                            "name": "Upload coverage",
                            "status": "not_rehearsed",
                            "kind": "uses",
                            "reason": "needs secrets.CODECOV_TOKEN",
                        },
                    ],
                }
            ],
        },
    }
