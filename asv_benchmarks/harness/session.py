"""One run of a comparison: which peers are installed, the run's metadata, the loop.

Job: :func:`check_available` (a peer whose package is missing is skipped, with the
reason), :func:`run_meta` (command, settings, machine, notes and stream bandwidth of
the json payload), and :func:`run_each` (one case or data set after another; a
failure becomes a note and the next one runs; the outputs are rewritten after each,
so a long run keeps what it measured), and :func:`run_cases` (that loop for the
single-lam comparisons, writing ``OUT/<stem>.{json,md}``).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from . import log
from .machine import machine_info, stream_bandwidth
from .tables import write_json


def check_available(solvers) -> dict:
    """``{name: why}`` of the solvers that cannot run here (logged as ``[skip]``)."""
    unavailable = {}
    for s in solvers:
        ok, why = s.available()
        if not ok:
            unavailable[s.name] = why
            log(f"[skip] {s.name}: {why}")
    return unavailable


def run_meta(args, notes: list, keys: list[str], argv=None) -> dict:
    """The ``meta`` of a json payload: the command, ``args``' values of ``keys``, the
    machine, ``notes`` (appended to later) and the stream bandwidth."""
    args_text = sys.argv[1:] if argv is None else argv
    meta = {"command": " ".join([Path(sys.argv[0]).name, *args_text])}
    meta.update({k: getattr(args, k) for k in keys})
    meta["machine"] = machine_info(args.threads)
    meta["notes"] = notes
    return meta


def add_bandwidth(meta: dict, args) -> None:
    """``meta["bandwidth"]``: numpy-sum stream bandwidth over ``--bandwidth-gib``."""
    log(f"[bandwidth] numpy sum over {args.bandwidth_gib:g} GiB ...")
    meta["bandwidth"] = stream_bandwidth(args.bandwidth_gib, args.threads)
    log(f"[bandwidth] {json.dumps(meta['bandwidth'])}")


def run_each(items, run_one, results: list, notes: list, label, write) -> None:
    """Append ``run_one(item)`` for every item to ``results``, except that a failing
    item is logged, noted (``f"{label(item)} failed: <last traceback line>"``) and
    skipped; ``write()`` runs after every item."""
    for item in items:
        try:
            results.append(run_one(item))
        except Exception:
            tb = traceback.format_exc()
            log(tb)
            notes.append(f"{label(item)} failed: {tb.strip().splitlines()[-1]}")
        write()


def run_cases(
    cases, run_one, meta: dict, notes: list, out, name: str, markdown, total_seconds: bool = False
) -> list:
    """:func:`run_each` over ``cases`` (labelled ``case <name>``) into a new results
    list, rewriting ``out/<stem>.json`` (``{"meta", "results"}``) and ``out/<stem>.md``
    (``markdown(results, meta)``) after each case, ``stem`` being ``name`` (plus
    ``_quick`` when ``meta["quick"]``); at the end the markdown is printed and the file
    names logged.  ``total_seconds``: ``meta["total_seconds"]`` is the time since the
    start at every write."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}_quick" if meta["quick"] else name
    results = []
    t_all = time.perf_counter()

    def write():
        if total_seconds:
            meta["total_seconds"] = time.perf_counter() - t_all
        write_json(out / f"{stem}.json", {"meta": meta, "results": results})
        (out / f"{stem}.md").write_text(markdown(results, meta))

    run_each(cases, run_one, results, notes, lambda c: f"case {c.name}", write)
    print(markdown(results, meta))
    log(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return results
