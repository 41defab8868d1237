"""The documentation: links, commands and figures (fast), and the Sphinx build.

The link and command checks need nothing beyond the test extra. The build runs only where
the docs extra is installed (CI builds the site in a step of its own, see ``.ci/run``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
PAGES = [p for p in PAGES if "_build" not in p.parts]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
# [text](target): the text may span lines; the target has no spaces.
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def _prose(path: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    """GitHub's (and myst ``heading_anchors``') anchor of a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _relative_links():
    for page in PAGES:
        for target in LINK.findall(_prose(page)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL (https:, mailto:, myst's path:) or an anchor of the page
            yield pytest.param(page, target, id=f"{page.relative_to(ROOT)}->{target}")


def test_pages_found():
    assert ROOT / "README.md" in PAGES and DOCS / "index.md" in PAGES
    assert len(PAGES) > 8


@pytest.mark.parametrize(("page", "target"), list(_relative_links()))
def test_relative_link_exists(page, target):
    file, _, anchor = target.partition("#")
    path = (page.parent / file).resolve()
    assert path.exists(), f"{page.relative_to(ROOT)} links to missing {target}"
    if anchor and path.suffix == ".md":
        slugs = {_slug(h) for h in HEADING.findall(_prose(path))}
        assert anchor in slugs, f"{page.relative_to(ROOT)}: no heading #{anchor} in {file}"


def _commands():
    for page in (ROOT / "README.md", DOCS / "benchmarks.md", DOCS / "performance.md"):
        text = page.read_text(encoding="utf-8")
        for script in sorted(set(re.findall(r"\bpython3?\s+([\w./-]+\.py)\b", text))):
            yield pytest.param(page, script, id=f"{page.name}:{script}")


@pytest.mark.parametrize(("page", "script"), list(_commands()))
def test_command_script_exists(page, script):
    assert (ROOT / script).is_file(), f"{page.name} runs {script}, which does not exist"


def test_commands_found():
    scripts = {s for _, s in (p.values for p in _commands())}
    assert "asv_benchmarks/compare_ridge.py" in scripts
    assert "asv_benchmarks/compare_logistic.py" in scripts


def test_plots_draw_the_json_results():
    pytest.importorskip("matplotlib")
    sys.path.insert(0, str(DOCS))
    try:
        import plots
    finally:
        sys.path.remove(str(DOCS))
    import matplotlib.pyplot as plt

    for names, make in (
        (plots.RIDGE_RUNS, plots.ridge_figure),
        (plots.LOGISTIC_RUNS, plots.logistic_figure),
    ):
        results, _ = plots.load_runs(names)
        fig = make()
        try:
            panels = [ax for ax in fig.axes if ax.axison]
            assert len(panels) == len(results)
            for ax, case in zip(panels, results):
                assert case["case"] in ax.get_title()
                markers = [ln.get_marker() for ln in ax.get_lines()]
                # every calibration fit is one marker, and nothing else is
                fits = sum(len(plots._points(e)) for e in case["solvers"].values())
                assert sum(m in ("o", "v", "^") for m in markers) == fits
                # one star per solver that reached the target in the timed runs
                timed = sum(e.get("median_seconds") is not None for e in case["solvers"].values())
                assert markers.count("*") == timed
        finally:
            plt.close(fig)


def test_sphinx_build(tmp_path):
    """Reads and resolves every page with warnings as errors (the "dummy" builder)."""
    for module in ("sphinx", "numpydoc", "myst_parser", "matplotlib"):
        pytest.importorskip(module)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "dummy"]
    proc = subprocess.run(
        [*cmd, str(DOCS), str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
