"""Secret detection on realistic fakes and look-alikes; no value ever leaves the scanner."""

from __future__ import annotations

import json

import pytest

from libs.analysis import analyze
from libs.analysis.render import render
from libs.analysis.report import Check, Report
from libs.analysis.secrets import iter_matches, scan_text
from tests.unit.analysis.conftest import Build
from tests.unit.analysis.secret_corpus import Gen, Sample, lookalikes, positives

POSITIVES = positives()


def by_check(report: Report) -> dict[str, Check]:
    return {c.id: c for c in report.checks}


@pytest.mark.parametrize("sample", POSITIVES, ids=[s.name for s in POSITIVES])
def test_fake_credential_is_found_by_its_rule(sample: Sample) -> None:
    found = {f.rule for f in scan_text(sample.text, sample.path)}
    assert found & sample.rules, f"{sample.name}: found {found or 'nothing'}"


@pytest.mark.parametrize("sample", lookalikes(), ids=[s.name for s in lookalikes()])
def test_lookalike_is_not_reported(sample: Sample) -> None:
    assert scan_text(sample.text, sample.path) == []


@pytest.mark.parametrize("seed", [11, 23, 42])
def test_other_random_draws_of_the_same_formats_are_found(seed: int) -> None:
    missed = [s.name for s in positives(seed) if not scan_text(s.text, s.path)]
    assert missed == []


def test_findings_carry_file_line_rule_and_redacted_preview() -> None:
    token = "ghp_" + Gen(5).s("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 36)
    text = f"# deploy\n\nexport GITHUB_TOKEN={token}\n"
    [finding] = scan_text(text, "deploy.sh")
    assert (finding.rule, finding.path, finding.line, finding.severity) == (
        "github-token",
        "deploy.sh",
        3,
        "critical",
    )
    assert finding.preview == "ghp_…(40 chars)"
    assert token not in repr(finding)


def test_raw_matches_index_the_value_in_str_and_bytes() -> None:
    gen = Gen(9)
    key = "AKIA" + gen.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    text = f'région = "été"\naws_access_key_id = "{key}"\n'
    [match] = list(iter_matches(text, "settings.py"))
    assert text[match.start : match.end] == key == match.value
    assert match.line == 2
    assert key not in repr(match)
    data = text.encode()
    [raw] = list(iter_matches(data, "settings.py"))
    assert data[raw.start : raw.end] == key.encode()


def test_allowlist_comment_silences_a_line() -> None:
    gen = Gen(3)
    value = "sk_live_" + gen.s("abcdefghijklmnopqrstuvwxyz0123456789", 30)
    assert scan_text(f"key = '{value}'\n", "a.py")
    assert scan_text(f"key = '{value}'  # pragma: allowlist secret\n", "a.py") == []
    assert scan_text(f"key = '{value}'  # gitleaks:allow\n", "a.py") == []


def test_no_secret_value_appears_in_any_output_format(build: Build) -> None:
    samples = positives(31)
    files: dict[str, str | bytes] = {f"case{i}/{s.path}": s.text for i, s in enumerate(samples)}
    values = [m.value for s in samples for m in iter_matches(s.text, s.path)]
    assert len(values) >= len(samples)
    report = analyze(build(files))
    assert len(report.secrets.findings) >= len(samples)
    outputs = {fmt: render(report, fmt) for fmt in ("text", "json", "markdown", "sarif")}
    for fmt, text in outputs.items():
        leaked = [v for v in values if v in text]
        assert leaked == [], f"{fmt} output contains {len(leaked)} secret value(s)"
    sarif = json.loads(outputs["sarif"])
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {
        "secret/github-token",
        "secret/private-key",
    }


ALNUM36 = "abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("token: ghp_" + "x" * 36, "github-token"),
        ("curl https://app:pa55word@db.internal/", "url-credentials"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private-key"),
        (f"key = 'sk_live_{Gen(3).s(ALNUM36, 30)}'  # gitleaks:allow", "stripe-secret-key"),
    ],
)
def test_lenient_scan_keeps_shapes_the_report_dismisses(text: str, rule: str) -> None:
    assert scan_text(text, "notes.txt") == []
    [match] = list(iter_matches(text, "notes.txt", strict=False))
    assert match.rule == rule
    assert text[match.start : match.end] == match.value


def test_keyword_findings_in_tests_are_low_and_provider_formats_keep_their_severity() -> None:
    gen = Gen(13)
    password, key = gen.password(), "AKIA" + gen.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    text = f'DB_PASSWORD = "{password}"\nAWS_ACCESS_KEY_ID = "{key}"\n'
    outside = {f.rule: f.severity for f in scan_text(text, "app/settings.py")}
    inside = {f.rule: f.severity for f in scan_text(text, "tests/fixtures/settings.py")}
    assert outside == {"generic-secret": "high", "aws-access-key-id": "critical"}
    assert inside == {"generic-secret": "low", "aws-access-key-id": "critical"}


def test_documentation_skips_only_the_keyword_rule() -> None:
    gen = Gen(17)
    value = gen.s(ALNUM36, 40)
    text = f"API_TOKEN={value}\nhttps://deploy:{gen.password()}@ci.acme.io/hook\n"
    assert {f.rule for f in scan_text(text, "deploy.sh")} == {"generic-secret", "url-credentials"}
    for doc in ("README.md", "docs/guide.rst", "docs/notes.txt", "handbook/setup.adoc"):
        assert {f.rule for f in scan_text(text, doc)} == {"url-credentials"}, doc
    assert {f.rule for f in scan_text(text, "notes.txt")} == {"generic-secret", "url-credentials"}


def test_urls_and_keywords_in_docs_examples_and_fixtures_are_low() -> None:
    gen = Gen(19)
    text = f'SECRET_KEY = "{gen.s(ALNUM36, 40)}"\nURL = "https://deploy:{gen.password()}@ci.acme.io/h"\n'
    expected = {"generic-secret", "url-credentials"}
    jwt = Gen(29).jwt({"sub": "johndoe", "exp": 1700000000})
    text += f'headers = {{"Authorization": "Bearer {jwt}"}}\n'
    expected |= {"jwt"}
    for where in ("docs_src/security/tutorial004.py", "examples/app.py", "tests/models/urls.py"):
        found = {f.rule: f.severity for f in scan_text(text, where)}
        assert found == dict.fromkeys(expected, "low"), where
    assert {f.severity for f in scan_text(text, "app/settings.py")} - {"low"}


def test_low_findings_alone_cost_part_of_the_check_and_others_fail_it(build: Build) -> None:
    gen = Gen(23)
    fixture = f'DB_PASSWORD = "{gen.password()}"\n'
    only_tests = by_check(analyze(build({"tests/test_db.py": fixture})))["leaked-secrets"]
    assert (only_tests.status, only_tests.score) == ("partial", 0.75)
    assert only_tests.evidence[0].path == "tests/test_db.py"
    leaked = analyze(build({"tests/test_db.py": fixture, "app/db.py": fixture}))
    check = by_check(leaked)["leaked-secrets"]
    assert check.status == "fail"
    assert check.evidence[0].path == "app/db.py"  # the serious one first


@pytest.mark.parametrize(
    ("path", "template"),
    [
        (".env", "DATABASE_URL=postgres://app:{pw}@localhost:5432/app\n"),
        (".env.production", "REDIS_URL=redis://:{pw}@cache.example.com:6379/0\n"),
        ("settings.ini", "[db]\nurl = postgresql://svc:{pw}@db.example.org/main\n"),
        ("config/runtime.exs", 'config :hexpm, Repo, url: "ecto://hexpm:{pw}@localhost/hexpm"\n'),
    ],
)
def test_a_real_looking_url_password_in_configuration_counts_whatever_the_host(
    path: str, template: str
) -> None:
    password = Gen(17).password()
    [finding] = scan_text(template.format(pw=password), path)
    assert (finding.rule, finding.severity) == ("url-credentials", "critical")
    # the same line in prose or code is an example: the example host still says so
    assert scan_text(template.format(pw=password), "README.md") == []
    # and a placeholder password stays a placeholder in configuration too
    assert scan_text(template.format(pw="password"), path) == []
    assert scan_text(template.format(pw="changeme123"), path) == []


def test_curl_user_password_is_found_and_references_are_not() -> None:
    password = Gen(23).password()
    for line in (
        f"curl -u deploy:{password} https://artifacts.acme.io/upload -T app.zip\n",
        f'curl -sS --user "ci-bot:{password}" https://registry.acme.io/v2/\n',
        f"curl --user=ci-bot:{password} -X POST https://ci.acme.io/hook\n",
    ):
        [finding] = scan_text(line, "scripts/release.sh")
        assert finding.rule == "curl-user-password", line
    for line in (
        'curl -u "$ARTIFACTORY_USER:$ARTIFACTORY_TOKEN" https://acme.jfrog.io/\n',
        "curl -u user:password https://httpbin.org/basic-auth/user/password\n",
        "curl -u admin:admin http://localhost:8080/api\n",
        "git push -u origin main && curl -s https://acme.io/health\n",
    ):
        assert scan_text(line, "scripts/release.sh") == [], line


def test_a_key_in_a_notebook_cell_is_found_like_the_same_line_in_a_py_file() -> None:
    token = Gen(29).s("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32)
    line = f'api_token = "{token}"'
    assert [f.rule for f in scan_text(line + "\n", "analysis.py")] == ["generic-secret"]
    cell = {"cell_type": "code", "metadata": {}, "source": ["import client\n", line + "\n"]}
    notebook = json.dumps({"cells": [cell], "nbformat": 4}, indent=1)
    [finding] = scan_text(notebook, "notebooks/analysis.ipynb")
    assert finding.rule == "generic-secret"
    assert notebook.splitlines()[finding.line - 1].strip().startswith('"api_token')
    [match] = list(iter_matches(notebook, "notebooks/analysis.ipynb"))
    assert notebook[match.start : match.end] == token  # offsets index the file itself


def test_token_shapes_inside_an_embedded_font_or_image_are_not_credentials() -> None:
    gen = Gen(31)
    blob = gen.s("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 400)
    token = "EAAA" + gen.s("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 120)
    svg = f'<style>@font-face {{ src: url("data:font/ttf;base64,{blob}{token}{blob}"); }}</style>\n'
    assert scan_text(svg, "assets/logo.svg") == []
    assert [f.rule for f in scan_text(f"FB_TOKEN={token}\n", ".env")] == ["facebook-access-token"]


def test_lockfile_entries_and_docsearch_keys_are_not_credentials() -> None:
    lock = '  dependencies:\n    registry-auth-token: "npm:^5.0.1"\n    semver: "npm:^7.3.7"\n'
    assert scan_text(lock, "website/yarn.lock") == []
    key = Gen(37).s("0123456789abcdef", 32)
    docsearch = (
        f"algolia: {{\n  appId: 'YUQHC5OCW0',\n  apiKey: '{key}',\n  indexName: 'redux'\n}}\n"
    )
    assert scan_text(docsearch, "website/docusaurus.config.ts") == []
    # the same key under the same name elsewhere is still a secret
    assert [f.rule for f in scan_text(f"apiKey: '{key}'\n", "src/client.ts")] == ["generic-secret"]


def test_short_random_hex_keys_are_found_and_hex_words_are_not() -> None:
    # 12 hex characters hold few distinct symbols however random they are (an Akismet key)
    gen = Gen(31)
    keys = [gen.s("0123456789abcdef", 12) for _ in range(40)]
    found = [k for k in keys if scan_text(f'AKISMET_API_KEY = "{k}"\n', "settings.py")]
    assert len(found) >= 38
    assert scan_text('AKISMET_API_KEY = "c892e4962244"\n', "settings/common.py") != []
    for word in ("deadbeefcafe", "cafebabe1234", "000000111111", "1234567890ab"):
        assert scan_text(f'API_KEY = "{word}"\n', "settings.py") == [], word
