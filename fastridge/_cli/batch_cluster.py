"""``fastridge batch JOBS --out DIR --scheduler ADDRESS | --dask-workers N``.

The fits of the job file run as tasks of a Dask cluster: each fit is one task
(:func:`fastridge._cli.engine.run_settings`: the worker reads the inputs and runs
the whole fit, and returns the arrays and facts of the result).  Everything else
stays on the client and is the same as in :mod:`fastridge._cli.batch`: the input
checksums and the resume decision (a fit whose results are complete and current is
skipped without a task), the result files (written by the client, atomically, the
``.npz`` then the ``.json``, the same content and checksums), the lock, the test
hook, and the exit statuses.  The inputs must be readable at the same paths on the
workers (a shared file system; always so on a ``--dask-workers`` local cluster).

Fits run in parallel, one per worker thread, submitted in the order of the job file
(earlier fits first) and written as they finish; the records and the summary table
are in the order of the job file.  Ctrl-C or SIGTERM cancels the tasks not yet
written (their fits are "interrupted", or "not run" when not yet submitted), and
exits with 130 (143); a failed fit is one line and the others still run, unless
``--fail-fast`` (which cancels the rest: "not run").  The cluster is started (or
connected to) only when some fit must run.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid

from . import engine
from .batch import BatchRunner, Terminated, sigterm_as_interrupt
from .cluster import ClusterError
from .console import EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM
from .jobs import BadJob


class ClusterBatchRunner(BatchRunner):
    """:class:`~fastridge._cli.batch.BatchRunner` whose fits are Dask tasks.

    ``start_client()`` returns the ``distributed.Client`` (called once, when the
    first fit must run).
    """

    def __init__(self, entries, folder, args, console, start_client):
        super().__init__(entries, folder, args, console)
        self._start_client = start_client
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self._start_client()
        return self._client

    def _submit(self, fit, index):
        return self.client.submit(
            engine.run_settings,
            fit.settings,
            base_dir=fit.base_dir,
            n_threads=self.args.threads,
            verify=getattr(self.args, "verify", True),
            key=f"fastridge-batch-{fit.name}-{uuid.uuid4().hex[:12]}",
            pure=False,
            priority=-index,  # earlier fits of the job file first
        )

    def run(self):
        """Run every entry on the cluster; returns the exit status."""
        from tqdm import tqdm

        disable = True if (self.console.quiet or self.console.json_mode) else None
        entries = list(self.entries)
        records = {}  # index in the job file -> record
        running = {}  # future -> (index, fit, inputs, t0)
        interrupted = None
        failed = False
        bar = tqdm(total=len(entries), unit="fit", file=sys.stderr, disable=disable, leave=False)

        def finish(index, rec):
            records[index] = rec
            self._log_record(rec, bar)
            bar.update(1)

        try:
            with sigterm_as_interrupt():
                # the resume decisions, and a task for each fit that must run
                for index, entry in enumerate(entries):
                    t0 = time.perf_counter()
                    if isinstance(entry, BadJob):
                        rec = self._record(entry.name, "failed", error=entry.message)
                    else:
                        try:
                            inputs, rec = self._prepare(entry, t0)
                            if rec is None:
                                if self._client is None:  # its start is no fit's time
                                    started = time.perf_counter()
                                    self._client = self._start_client()
                                    t0 += time.perf_counter() - started
                                future = self._submit(entry, index)
                                running[future] = (index, entry, inputs, t0)
                                continue
                        except ClusterError:
                            raise  # no cluster: the batch stops (one line)
                        except Exception as exc:
                            rec = self._failed(entry, exc, t0)
                    finish(index, rec)
                    if rec["status"] == "failed":
                        failed = True
                        if self.args.fail_fast:
                            break
                if not (failed and self.args.fail_fast):
                    failed = self._collect(running, finish) or failed
        except KeyboardInterrupt as exc:
            interrupted = exc
        finally:
            bar.close()
            self._cancel(running)
        # submitted and not written: cut short by Ctrl-C, or cancelled by --fail-fast
        status = "not run" if interrupted is None else "interrupted"
        for index, *_ in running.values():
            records[index] = self._record(entries[index].name, status)
        self.records = [
            records.get(i) or self._record(e.name, "not run") for i, e in enumerate(entries)
        ]
        self._print_summary(interrupted)
        self.console.emit_json(self.records)
        if interrupted is not None:
            return EXIT_SIGTERM if isinstance(interrupted, Terminated) else EXIT_SIGINT
        return EXIT_FAILURE if failed else EXIT_OK

    def _collect(self, running, finish):
        """Write the results of ``running`` as they finish; True if one failed.

        A written fit leaves ``running``; with ``--fail-fast`` the first failure
        stops the collection (the caller cancels the rest).
        """
        failed = False
        if not running:
            return failed
        from distributed import as_completed

        for future in as_completed(list(running), loop=self.client.loop):
            index, fit, inputs, t0 = running[future]
            try:
                outcome = future.result()
                rec = self._write(fit, outcome, inputs, t0)
            except Exception as exc:
                rec = self._failed(fit, exc, t0)
            del running[future]
            finish(index, rec)
            if rec["status"] == "failed":
                failed = True
                if self.args.fail_fast:
                    break
        return failed

    def _cancel(self, running):
        """Cancel the tasks of ``running`` (their results will not be written)."""
        if not running or self._client is None:
            return
        with contextlib.suppress(Exception):
            self._client.cancel(list(running), force=True)
