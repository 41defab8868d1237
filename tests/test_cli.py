"""The ``fastridge`` command line: ``demo`` (single fit, path, cross-validation, plots)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from fastridge.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# the demo fits at this tolerance (its default): every printed certificate is below it
TOL = 1e-8


def _run(args, *, block_matplotlib=False, cwd=None, timeout=300):
    """Run ``python -m fastridge.cli ARGS`` in a fresh interpreter (optionally with
    ``import matplotlib`` failing, as on an install without the plot extra)."""
    if block_matplotlib:
        code = (
            "import sys; sys.modules['matplotlib'] = None; "
            "from fastridge.cli import main; sys.exit(main(sys.argv[1:]))"
        )
        cmd = [sys.executable, "-c", code, *args]
    else:
        cmd = [sys.executable, "-m", "fastridge.cli", *args]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )


def _path_table(stdout):
    """The rows ``lam, cert/P_null, iters, test acc`` of the demo's path table."""
    lines = stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["lam", "cert/P_null"])
    rows = []
    for ln in lines[start + 1 :]:
        parts = ln.split()
        if len(parts) != 4:
            break
        rows.append([float(v) for v in parts])
    return np.array(rows)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    plots = tmp_path_factory.mktemp("plots") / "sub"  # not there yet: the demo creates it
    proc = _run(["demo", "--plots-dir", str(plots)])
    return proc, plots


def test_demo_single_fit_output_kept(demo_run):
    proc, _ = demo_run
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ridge with intercept on a9a" in out
    assert "train: 32,561 x 123" in out
    for key in ("solver used", "certificate/P_null", "train accuracy", "test accuracy"):
        assert re.search(rf"^{re.escape(key)}\s+:", out, re.M), key
    acc = float(re.search(r"^test accuracy\s+: ([0-9.]+)", out, re.M).group(1))
    assert 0.83 < acc < 0.86  # a9a's least-squares classifier: ~0.845


def test_demo_path_table(demo_run):
    proc, _ = demo_run
    out = proc.stdout
    assert "ridge path: 50 lams on the default grid" in out
    table = _path_table(out)
    assert 3 <= len(table) <= 6
    lam, rel, iters, acc = table.T
    assert np.all(np.diff(lam) < 0)  # the path runs from the largest lam down
    assert np.all(rel <= TOL)
    assert np.all(iters >= 0)
    assert np.all((acc > 0.7) & (acc < 0.9))
    assert acc[-1] > acc[0]  # the near-null end is the worse classifier
    m = re.search(r"converged (\w+), (\d+) passes over X, ([0-9.]+) s", out)
    assert m and m.group(1) == "True" and int(m.group(2)) > 0


def test_demo_cross_validation(demo_run):
    proc, _ = demo_run
    out = proc.stdout
    assert "RidgeCV(cv=5)" in out
    assert "LogisticRegressionCV(Cs=10, cv=5)" in out
    lam = float(re.search(r"chosen lam = ([0-9.e+-]+)", out).group(1))
    c = float(re.search(r"chosen C = ([0-9.e+-]+)", out).group(1))
    assert lam > 0 and c > 0
    accs = [float(v) for v in re.findall(r"test accuracy at the chosen value: ([0-9.]+)", out)]
    assert len(accs) == 2 and all(0.83 < a < 0.87 for a in accs)


def test_demo_writes_pngs(demo_run):
    pytest.importorskip("matplotlib")  # without it the demo says so (test below)
    proc, plots = demo_run
    for name in ("path.png", "cv.png"):
        f = plots / name
        assert f.is_file(), proc.stdout
        data = f.read_bytes()
        assert len(data) > 1000 and data.startswith(PNG_MAGIC)
        assert f"wrote {f}" in proc.stdout


def test_demo_without_matplotlib(tmp_path):
    proc = _run(["demo", "--n-lams", "10", "--plots-dir", str(tmp_path)], block_matplotlib=True)
    assert proc.returncode == 0, proc.stderr
    notes = [ln for ln in proc.stdout.splitlines() if "matplotlib is not installed" in ln]
    assert len(notes) == 1 and "fastridge[plot]" in notes[0]
    assert "ridge path: 10 lams" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_demo_no_plots_in_process(tmp_path, capsys):
    status = main(["demo", "--n-lams", "8", "--no-plots", "--plots-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    assert len(_path_table(out)) >= 3
    assert "wrote" not in out and "plots:" not in out
    assert list(tmp_path.iterdir()) == []


def test_demo_help_lists_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--plots-dir", "--no-plots", "--n-lams", "--lam", "--tol"):
        assert opt in out


def test_demo_rejects_bad_n_lams(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--n-lams", "0"])
    assert exc.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err
