"""Print the kernels' GB/s and the fused Gram's fraction of the stream bandwidth.

Runs the asv classes ``KernelBandwidth`` and ``Stream`` once each for float64 and
float32 data on 1 and 2 threads (the same measurements as
``asv run --python=same -b KernelBandwidth -b Stream``, without asv).  From the
repository root: ``python asv_benchmarks/kernel_fraction.py``.
"""

from __future__ import annotations

from benchmarks.kernels import KernelBandwidth, Stream


def main() -> None:
    for nt in (1, 2):
        for dt in ("float64", "float32"):
            kb = KernelBandwidth()
            kb.setup(dt, nt)
            st = Stream()
            st.setup(nt)
            print(
                f"{dt} {nt} thread(s): X v {kb.track_matvec_gbps(dt, nt):.1f}, "
                f"X^T u {kb.track_rmatvec_gbps(dt, nt):.1f}, "
                f"fused gram {kb.track_gram_gbps(dt, nt):.1f} GB/s; "
                f"stream {st.track_stream_bandwidth(nt):.1f} GB/s; "
                f"gram / stream {kb.track_gram_fraction_of_stream(dt, nt):.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
