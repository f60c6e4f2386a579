"""The documentation: the MkDocs site builds, every relative link resolves, the code blocks are sound.

The README is the short overview, CONTRIBUTING.md the contributors' page, docs/*.md the guides
(built by MkDocs from mkdocs.yml). MkDocs checks links between pages and their anchors; links
from a guide to a file outside docs/ (``../configs/x.py``) are no pages of the site, so
mkdocs.yml lets them pass and the link test below checks them, with every other relative link.
"""

import ast
import importlib.util
import re
import subprocess
import sys
import textwrap
import urllib.parse

import pytest

from conftest import REPO

README = REPO / "README.md"
PAGES = [README, REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
#: The pages whose code blocks are checked: docs/api.md is generated from the docstrings.
GUIDES = [page for page in PAGES if page.name != "api.md"]
README_MAX_LINES = 200

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$", re.M)
SHELL = {"bash", "sh", "shell", "console"}


def name(page):
    return str(page.relative_to(REPO))


def code_blocks(markdown):
    """(language, code) of each fenced block, the code dedented by the fence's own indentation."""
    return [(m["lang"], textwrap.dedent(m["body"])) for m in FENCE.finditer(markdown)]


def prose(markdown):
    """The text outside fenced blocks and code spans, where links and headings are."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def slug(heading):
    """GitHub's anchor of a heading: its text lowercased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(page):
    """The anchors of a Markdown file's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    seen, found = {}, set()
    for m in HEADING.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(m["text"])
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def test_the_site_builds_without_warnings(tmp_path):
    assert importlib.util.find_spec("mkdocs"), "mkdocs is missing: pip install -e '.[test]'"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "figures" / "toy_eight_gaussians.png").is_file()


def test_the_link_checker_reads_links_and_anchors_as_github_does():
    text = "See [a](x.md#b) and `[not](a-link.md)`, ![pic](f.png \"title\")\n```\n[code](y.md)\n```\n"
    assert [m["target"] for m in LINK.finditer(prose(text))] == ["x.md#b", "f.png"]
    assert slug("Keras `fit` in your own pipeline") == "keras-fit-in-your-own-pipeline"
    assert slug("`vegan_tf.costs`") == "vegan_tfcosts"
    assert slug("Faults and recovery") == "faults-and-recovery"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_relative_links_resolve(page):
    """Each relative link names an existing file of the repository, and its #anchor a heading there."""
    broken = []
    for m in LINK.finditer(prose(page.read_text(encoding="utf-8"))):
        url = urllib.parse.urlsplit(m["target"])
        if url.scheme or url.netloc:  # http(s), mailto: not checked here
            continue
        if url.path.startswith("/"):
            broken.append(f"{m['target']}: an absolute path (write it relative to {name(page)})")
            continue
        target = (page.parent / urllib.parse.unquote(url.path)).resolve() if url.path else page
        if not target.is_relative_to(REPO) or not target.exists():
            broken.append(f"{m['target']}: no such file")
        elif url.fragment and target.suffix == ".md" and url.fragment not in anchors(target):
            broken.append(f"{m['target']}: no heading of {name(target)} has the anchor #{url.fragment}")
    assert not broken, f"{name(page)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", GUIDES, ids=name)
def test_code_blocks(page):
    """Python blocks parse; shell blocks name configs, modules and scripts that exist."""
    problems = []
    for number, (lang, code) in enumerate(code_blocks(page.read_text(encoding="utf-8")), 1):
        where = f"{name(page)} block {number} ({lang or 'no language'})"
        if lang == "python" and not code.lstrip().startswith((">>>", "$")):
            try:
                ast.parse(code, filename=where)
            except SyntaxError as error:
                problems.append(f"{where}: {error}")
        elif lang in SHELL:
            for config in re.findall(r"\bconfigs/([\w.-]+\.py)\b", code):
                if not (REPO / "configs" / config).is_file():
                    problems.append(f"{where}: configs/{config} does not exist")
            for module in re.findall(r"\bpython[\d.]*\s+-m\s+(vegan_tf(?:\.\w+)*)", code):
                path = REPO.joinpath(*module.split("."))
                if not (path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()):
                    problems.append(f"{where}: python -m {module}: no such module")
            for script in re.findall(r"\bpython[\d.]*\s+((?:benchmarks|examples|docs)/[\w/]+\.py)", code):
                if not (REPO / script).is_file():
                    problems.append(f"{where}: {script} does not exist")
    assert not problems, "\n".join(problems)


def test_every_guide_has_code_checked():
    """The code-block test sees the blocks: a fence it cannot parse would be skipped silently."""
    blocks = [block for page in GUIDES for block in code_blocks(page.read_text(encoding="utf-8"))]
    assert sum(lang == "python" for lang, _ in blocks) >= 10
    assert sum(lang in SHELL for lang, _ in blocks) >= 15
    fences = sum(len(re.findall(r"^ *```", page.read_text(encoding="utf-8"), re.M)) for page in GUIDES)
    assert fences == 2 * len(blocks), "an unclosed or oddly indented ``` fence"


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/ (at most {README_MAX_LINES})"
