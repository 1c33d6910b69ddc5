"""Failure classes of the rendered workflow itself (issue 13, section 2): what GitHub
refuses or runs differently than we meant, whatever the repository."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cigen.fixtures import generated

COMPOSER = {
    "composer.json": json.dumps(
        {"require": {"php": "^8.3"}, "require-dev": {"phpunit/phpunit": "^11.0"}}
    ),
    "composer.lock": "{}",
    "phpunit.xml": "<phpunit/>",
}


def test_no_runner_context_in_job_level_env(tmp_path: Path) -> None:
    """`${{ runner.temp }}` in a job's env is refused: the runner context does not exist
    yet where job-level env is evaluated (actionlint's expression check, run by
    `generated`, says so). The Composer cache folder is asked of Composer instead."""
    php = generated(tmp_path, COMPOSER)
    for job in php.jobs.values():
        assert "runner." not in json.dumps(job.get("env", {}))
    assert 'echo "dir=$(composer config cache-files-dir)" >> "$GITHUB_OUTPUT"' in php.runs("php")
    cache = php.step("php", "actions/cache")
    assert cache["with"]["path"] == "${{ steps.composer-cache.outputs.dir }}"
