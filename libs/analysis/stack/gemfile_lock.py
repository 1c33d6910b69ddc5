"""What a Gemfile.lock says about the toolchain: the Ruby it was locked with (`RUBY
VERSION`), the Bundler that wrote it (`BUNDLED WITH`), and the Ruby versions the locked
Rails accepts where nothing pins the Ruby: an old Rails does not run on a new Ruby,
whatever the Gemfile allows.
"""

from __future__ import annotations

import re

from libs.analysis.stack.model import Project

# The Ruby each Rails series accepts: its lower bound is railties' `required_ruby_version`;
# the upper bounds (which the gemspecs do not state) are the first Ruby that series
# does not run on, from fastruby.io's "Ruby & Rails Compatibility Table"
# (https://fastruby.io/blog/ruby/rails/versions/compatibility-table.html) and the
# Rails upgrading guide. Series without a known upper bound have none here.
RAILS_RUBY: dict[tuple[int, int], str] = {
    (8, 1): ">= 3.2.0",
    (8, 0): ">= 3.2.0",
    (7, 2): ">= 3.1.0",
    (7, 1): ">= 2.7.0",
    (7, 0): ">= 2.7.0",
    (6, 1): ">= 2.5.0",
    (6, 0): ">= 2.5.0, < 3.0",
    (5, 2): ">= 2.2.2, < 2.7",
    (5, 1): ">= 2.2.2, < 2.6",
    (5, 0): ">= 2.2.2, < 2.5",
    (4, 2): ">= 1.9.3",
}
RAILS_7_0_0 = ">= 2.7.0, < 3.1"  # 7.0.0 itself predates Ruby 3.1 support (7.0.1)
_SECTION = re.compile(r"^(RUBY VERSION|BUNDLED WITH)\s*\n\s+(?:ruby\s+)?(\S+)", re.M)
_RAILS = re.compile(r"^    (rails|railties) \((\d+)\.(\d+)\.(\d+)[^)]*\)", re.M)


def detect(project: Project, path: str) -> None:
    text = project.tree.read_text(path) or ""
    for match in _SECTION.finditer(text):
        line = text.count("\n", 0, match.start()) + 2  # the version is on the next line
        if match.group(1) == "RUBY VERSION":
            version = re.sub(r"p\d+$", "", match.group(2))  # "3.2.2p53": the patch level
            project.runtime("ruby", version, path, "RUBY VERSION", constraint="exact", line=line)
        else:
            project.runtime(
                "bundler", match.group(2), path, "BUNDLED WITH", constraint="exact", line=line
            )


def detect_rails_ruby(project: Project) -> None:
    """The Ruby range the locked Rails accepts, for a project that pins no Ruby exactly
    (`.ruby-version`, the lock's `RUBY VERSION`): an exact Ruby already decides which one
    runs, and the range would be a second answer to the same question."""
    if any(r.runtime == "ruby" and r.constraint == "exact" for r in project.sub.runtimes):
        return
    path = project.file("Gemfile.lock")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    locked = {m.group(1): m for m in _RAILS.finditer(text)}
    rails = locked.get("rails") or locked.get("railties")
    if rails is None:
        return
    major, minor, patch = (int(rails.group(n)) for n in (2, 3, 4))
    needs = RAILS_7_0_0 if (major, minor, patch) == (7, 0, 0) else RAILS_RUBY.get((major, minor))
    if needs:
        field = f"{rails.group(1)} ({major}.{minor}.{patch})"
        line = text.count("\n", 0, rails.start()) + 1
        project.runtime("ruby", needs, path, field, line=line)
