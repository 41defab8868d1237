"""``fastridge batch JOBS --out DIR``: run the fits of a job file, resumably.

For each fit (see :mod:`fastridge._cli.jobs` for the job file) the runner writes
``DIR/<name>.npz`` (the result file of :mod:`fastridge._cli.results`) and then
``DIR/<name>.json`` (a summary: ``status = "complete"``, inputs with their sha256,
settings, fastridge version, solver, certificate, timings, the sha256 of the
``.npz``, and ``summary_sha256``, the checksum of the summary itself).  Both are
written to a temporary file ``.<file>.tmp-XXXX`` in ``DIR``,
fsynced and renamed into place, and the JSON comes last, so its presence marks a
complete fit.  Before a fit is redone its old JSON is removed first.

Resume: a fit is skipped when its JSON says ``complete``, records the same
settings and the same input checksums as now, its own ``summary_sha256`` matches
its content (an edited summary is redone, as an edited ``.npz`` is) and its ``.npz``
has the recorded sha256; otherwise it is redone.  A CSR folder input is verified
against its header's checksums before use unless ``--no-verify``.  Temporary files
left by a killed run are removed at start.  A lock file
``DIR/.fastridge-batch.lock`` (``flock``) keeps two batch runs out of the same folder.

Ctrl-C (SIGINT) or SIGTERM aborts the fit in progress (no final file is written
for it), prints what finished and what did not, and exits with 130 (143 for
SIGTERM).  A failed fit is reported on one line and the others still run (exit
status 1 at the end) unless ``--fail-fast``.

On a Dask cluster (``--scheduler ADDRESS`` or ``--dask-workers N``) each fit is one
task on a worker and the client writes its results exactly as above (same files,
checksums, resume and exit statuses): see :mod:`fastridge._cli.batch_cluster`.

Test hook: the environment variable ``FASTRIDGE_BATCH_TEST_DELAY`` (seconds) makes
each fit sleep after its ``.npz`` temporary file is complete and before it is
renamed into place, so that tests can interrupt a batch at a known point.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import engine
from . import inputs as fit_inputs
from . import settings as fit_settings
from .cluster import client_from_args, import_distributed, wants_cluster
from .console import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    describe_exception,
    jsonable,
)
from .jobs import BadJob, read_job_file
from .results import TEMP_MARKER, atomic_write_json, save_result, sha256_file
from .signals import signal_handler

# Environment variable of the test hook (module docstring): seconds to sleep before
# each result file is renamed into place.
TEST_DELAY_ENV = "FASTRIDGE_BATCH_TEST_DELAY"
LOCK_NAME = ".fastridge-batch.lock"
# The key of a summary's checksum of itself (see summary_checksum).
SUMMARY_CHECKSUM = "summary_sha256"
# Leftover temporary files: ".<name>.npz.tmp-XXXX" / ".<name>.json.tmp-XXXX".
_TEMP_FILE = re.compile(r"^\..+\.(npz|json)" + re.escape(TEMP_MARKER) + r"[A-Za-z0-9_]+$")


class Terminated(KeyboardInterrupt):
    """Raised by the SIGTERM handler, so that SIGTERM stops a batch like Ctrl-C."""


def clean_temp_files(folder):
    """Remove the temporary files a killed run left in ``folder``; returns their names."""
    removed = []
    for entry in Path(folder).iterdir():
        if _TEMP_FILE.match(entry.name) and entry.is_file():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
            removed.append(entry.name)
    return sorted(removed)


@contextlib.contextmanager
def folder_lock(folder):
    """Hold an exclusive ``flock`` on ``folder/LOCK_NAME`` (no-op without fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fh = open(Path(folder) / LOCK_NAME, "a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"{folder}: another fastridge batch is running here") from None
        yield
    finally:
        fh.close()


def sigterm_as_interrupt():
    """Turn SIGTERM into :class:`Terminated` while the batch runs (main thread only)."""

    def handler(signum, frame):
        raise Terminated()

    return signal_handler(signal.SIGTERM, handler)


def _canonical(obj):
    """``obj`` as it reads back from JSON (for comparing with a recorded summary)."""
    return json.loads(json.dumps(jsonable(obj)))


def _checksums(inputs):
    return {role: (None if v is None else v["sha256"]) for role, v in inputs.items()}


def summary_checksum(summary):
    """The sha256 of a summary's content, its own ``summary_sha256`` field left out.

    Computed over the canonical JSON text (sorted keys, no spaces), so re-indenting
    the file does not change it, while any edited value does (a forged ``solver``, a
    changed certificate).  The summary carries it (``summary_sha256``): the ``.npz``
    is vouched for by the summary, the summary by its own checksum, and a summary
    that fails it is redone like a changed ``.npz``.
    """
    import hashlib

    body = {k: v for k, v in summary.items() if k != SUMMARY_CHECKSUM}
    text = json.dumps(jsonable(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stale_reason(fit, inputs, folder):
    """None when ``fit``'s results in ``folder`` are complete and current, else why not."""
    summary_path = folder / f"{fit.name}.json"
    result_path = folder / f"{fit.name}.npz"
    if not summary_path.exists():
        return "no summary"
    try:
        rec = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unreadable summary"
    if not isinstance(rec, dict) or rec.get("status") != "complete":
        return "summary not complete"
    if rec.get("settings") != _canonical(fit.settings):
        return "settings changed"
    recorded = rec.get("inputs")
    if not isinstance(recorded, dict) or _checksums(recorded) != _checksums(inputs):
        return "input changed"
    if rec.get(SUMMARY_CHECKSUM) != summary_checksum(rec):
        return "summary changed"
    expected = (rec.get("result") or {}).get("sha256")
    if not result_path.exists():
        return "result file missing"
    if sha256_file(result_path) != expected:
        return "result file changed"
    return None


class BatchRunner:
    """Runs the entries of a job file into ``folder``; see the module docstring."""

    def __init__(self, entries, folder, args, console):
        self.entries = entries
        self.folder = Path(folder)
        self.args = args
        self.console = console
        self.records = []
        self.checksum_cache = {}
        delay = os.environ.get(TEST_DELAY_ENV)
        self.delay = float(delay) if delay else 0.0

    # -- output
    def log(self, text, bar=None):
        if self.console.quiet:
            return
        if bar is not None and not bar.disable:
            bar.write(text, file=self.console.human_stream)
        else:
            self.console.info(text)

    def _fail_line(self, name, message):
        text = message if message.startswith(str(self.args.jobs)) else f"job {name}: {message}"
        self.console.error(text)

    # -- one fit
    def _prepare(self, fit, t0):
        """Checksum ``fit``'s inputs; returns ``(inputs, record)``.

        ``record`` is the "skipped" record when the results in the folder are complete
        and current, else None (the fit must run: its old summary is then removed
        first, so that it cannot vouch for a new result).
        """
        files = fit_settings.input_files(fit.settings, fit.base_dir)
        fit_settings.check_inputs_exist(files)
        inputs = fit_inputs.checksum_inputs(files, self.checksum_cache)
        reason = stale_reason(fit, inputs, self.folder)
        summary_path = self.folder / f"{fit.name}.json"
        if reason is None:
            rec = json.loads(summary_path.read_text(encoding="utf-8"))
            return inputs, self._record(fit.name, "skipped", rec, time.perf_counter() - t0)
        self.console.detail(f"{fit.name}: running ({reason})")
        with contextlib.suppress(FileNotFoundError):
            summary_path.unlink()  # an old summary must not vouch for a new result
        return inputs, None

    def _run_one(self, fit):
        """Fit, write the .npz then the .json; returns the record (status done/skipped)."""
        t0 = time.perf_counter()
        inputs, skipped = self._prepare(fit, t0)
        if skipped is not None:
            return skipped
        outcome = engine.run_settings(
            fit.settings,
            base_dir=fit.base_dir,
            n_threads=self.args.threads,
            verify=getattr(self.args, "verify", True),
        )
        return self._write(fit, outcome, inputs, t0)

    def _write(self, fit, outcome, inputs, t0):
        """Write the ``.npz`` then the ``.json`` of a finished fit; returns its record."""
        for text in outcome.info["warnings"]:
            self.console.warn(f"job {fit.name}: {text}")
        meta = engine.result_meta(fit.settings, outcome, inputs, n_threads=self.args.threads)
        meta["job"] = fit.where
        hook = (lambda: time.sleep(self.delay)) if self.delay > 0 else None
        digest = save_result(
            self.folder / f"{fit.name}.npz", outcome.arrays, meta, before_replace=hook
        )
        meta["timings"]["total"] = time.perf_counter() - t0
        summary = {
            "name": fit.name,
            "status": "complete",
            **meta,
            "result": {"file": f"{fit.name}.npz", "sha256": digest},
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        summary = _canonical(summary)
        summary[SUMMARY_CHECKSUM] = summary_checksum(summary)
        atomic_write_json(self.folder / f"{fit.name}.json", summary)
        return self._record(fit.name, "done", summary, time.perf_counter() - t0)

    def _record(self, name, status, summary=None, seconds=None, error=None):
        summary = summary or {}
        written = status in ("done", "skipped")
        rec = {
            "name": name,
            "status": status,
            "seconds": seconds,
            "solver": summary.get("solver"),
            "converged": summary.get("converged"),
            "certificate": summary.get("certificate"),
            "relative_certificate": summary.get("relative_certificate"),
            "p_null": summary.get("p_null"),
            "result": str(self.folder / f"{name}.npz") if written else None,
            "summary": str(self.folder / f"{name}.json") if written else None,
            "error": error,
        }
        return rec

    def _log_record(self, rec, bar):
        if rec["status"] == "failed":
            self._fail_line(rec["name"], rec["error"])
            return
        rel = rec["relative_certificate"]
        note = "" if rec["converged"] else ", NOT converged"
        self.log(
            f"{rec['name']}: {rec['status']} in {rec['seconds']:.2f} s, solver {rec['solver']}, "
            f"cert/P_null {rel:.2e}{note}",
            bar,
        )

    # -- the batch
    def run(self):
        """Run every entry; returns the exit status."""
        from tqdm import tqdm

        disable = True if (self.console.quiet or self.console.json_mode) else None
        pending = list(self.entries)
        current = None  # the entry being run
        interrupted = None
        failed = False
        bar = tqdm(total=len(pending), unit="fit", file=sys.stderr, disable=disable, leave=False)
        try:
            with sigterm_as_interrupt():
                while pending:
                    current = pending.pop(0)
                    bar.set_description_str(current.name)
                    rec = self._run_entry(current)
                    current = None
                    self.records.append(rec)
                    self._log_record(rec, bar)
                    bar.update(1)
                    if rec["status"] == "failed":
                        failed = True
                        if self.args.fail_fast:
                            break
        except KeyboardInterrupt as exc:
            interrupted = exc
        finally:
            bar.close()
        if current is not None:
            self.records.append(self._record(current.name, "interrupted"))
        self.records.extend(self._record(e.name, "not run") for e in pending)
        self._print_summary(interrupted)
        self.console.emit_json(self.records)
        if interrupted is not None:
            return EXIT_SIGTERM if isinstance(interrupted, Terminated) else EXIT_SIGINT
        return EXIT_FAILURE if failed else EXIT_OK

    def _run_entry(self, entry):
        if isinstance(entry, BadJob):
            return self._record(entry.name, "failed", error=entry.message)
        t0 = time.perf_counter()
        try:
            return self._run_one(entry)
        except Exception as exc:
            return self._failed(entry, exc, t0)

    def _failed(self, entry, exc, t0):
        """The "failed" record of ``entry`` (the traceback first under ``--debug``)."""
        if self.console.debug:
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        message = f"{entry.where}: {describe_exception(exc)}"
        return self._record(entry.name, "failed", seconds=time.perf_counter() - t0, error=message)

    def _print_summary(self, interrupted):
        console = self.console
        if interrupted is not None:
            done = [r["name"] for r in self.records if r["status"] in ("done", "skipped")]
            todo = [r["name"] for r in self.records if r["status"] in ("interrupted", "not run")]
            what = "terminated" if isinstance(interrupted, Terminated) else "interrupted"
            console.error(
                f"{what}: {len(done)} fit(s) complete ({', '.join(done) or 'none'}); "
                f"{len(todo)} not complete ({', '.join(todo) or 'none'}); rerun to resume"
            )
        if console.quiet:
            return
        width = max([4, *(len(r["name"]) for r in self.records)])
        console.info(
            f"{'name':<{width}}  {'status':<11}  {'seconds':>8}  {'solver':<15}  cert/P_null"
        )
        for r in self.records:
            sec = "" if r["seconds"] is None else f"{r['seconds']:.2f}"
            rel = "" if r["relative_certificate"] is None else f"{r['relative_certificate']:.2e}"
            solver = r["solver"] or ""
            console.info(f"{r['name']:<{width}}  {r['status']:<11}  {sec:>8}  {solver:<15}  {rel}")
        counts = {}
        for r in self.records:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        console.info(", ".join(f"{n} {s}" for s, n in counts.items()))


def cmd_batch(args, console):
    """``fastridge batch JOBS --out DIR [--fail-fast] [--scheduler A | --dask-workers N]``."""
    entries = read_job_file(args.jobs, dtype=args.dtype)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):
        removed = clean_temp_files(folder)
        if removed:
            console.detail(f"removed {len(removed)} temporary file(s) of an earlier run")
        if not wants_cluster(args):
            return BatchRunner(entries, folder, args, console).run()
        from .batch_cluster import ClusterBatchRunner

        import_distributed()  # without dask: one line before any work

        with contextlib.ExitStack() as stack:
            # the cluster starts when the first fit must run (none when all are current)
            def start():
                return stack.enter_context(client_from_args(args, console))

            return ClusterBatchRunner(entries, folder, args, console, start).run()
