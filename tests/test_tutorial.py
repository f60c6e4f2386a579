"""The documentation runs: docs/tutorial.md block by block, and docs/api.md regenerated from the docstrings."""

import re
import runpy

from conftest import REPO

TUTORIAL = REPO / "docs" / "tutorial.md"


def python_blocks(markdown):
    """The ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.S | re.M)


def test_tutorial_runs_top_to_bottom(tmp_path, monkeypatch):
    blocks = python_blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert len(blocks) == 8
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__tutorial__"}
    ran = 0
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{TUTORIAL.name} block {number}", "exec"), namespace)
        ran += 1
    assert ran == len(blocks)
    for picture in ("samples.png", "reconstructions.png", "interpolation.png", "sinkhorn_samples.png"):
        assert (tmp_path / picture).stat().st_size > 100, picture
    assert (tmp_path / "export" / "1" / "saved_model.pb").is_file()
    assert (tmp_path / "export" / "2" / "saved_model.pb").is_file()
    assert set(namespace["compared"]) == {"WAE-MMD", "Sinkhorn AE"}


def test_api_reference_is_up_to_date():
    render = runpy.run_path(str(REPO / "docs" / "make_api.py"))["render"]
    committed = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert render() == committed, "docs/api.md is out of date with the docstrings: run `python docs/make_api.py`."


def test_the_package_cites_only_files_that_ship_with_it():
    """Every ``NAME.md`` or ``path/NAME.md`` the package's text names is a file of this repository."""
    cited = set()
    for path in (REPO / "vegan_tf").rglob("*.py"):
        cited |= {(path, m) for m in re.findall(r"\b([\w/]+\.md)\b", path.read_text())}
    missing = [(str(p.relative_to(REPO)), name) for p, name in cited
               if not any((REPO / d / name).exists() for d in ("", "docs", "benchmarks"))]
    assert not missing
