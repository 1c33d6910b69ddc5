"""What a check run annotates: the lines a diff adds, and only findings on them."""

from __future__ import annotations

from libs.github.checks import Annotation, added_lines, changed_from_files, on_changed_lines

PATCH = """@@ -1,3 +1,4 @@
 import os
-KEY = ""
+KEY = "new"
+TOKEN = "x"
 print(KEY)
@@ -20,2 +21,3 @@ def f():
     return 1
+    # added
 \\ No newline at end of file"""


def note(path: str, line: int) -> Annotation:
    return Annotation(
        path=path,
        start_line=line,
        end_line=line,
        annotation_level="failure",
        message="m",
        title="t",
    )


def test_added_lines_follow_the_hunks() -> None:
    assert added_lines(PATCH) == {2, 3, 22}
    assert added_lines("") == set()


def test_only_findings_on_changed_lines_are_kept() -> None:
    changed = changed_from_files(
        [
            {"filename": "app.py", "status": "modified", "patch": PATCH},
            {"filename": "logo.png", "status": "added"},  # binary: no patch
            {"filename": "old.py", "status": "removed", "patch": "@@ -1 +0,0 @@\n-x"},
        ]
    )
    assert changed == {"app.py": {2, 3, 22}, "logo.png": None}
    notes = [note("app.py", 3), note("app.py", 4), note("logo.png", 9), note("old.py", 1)]
    kept = on_changed_lines(notes, changed)
    assert [(n.path, n.start_line) for n in kept] == [("app.py", 3), ("logo.png", 9)]
    assert on_changed_lines(notes, None) == notes
