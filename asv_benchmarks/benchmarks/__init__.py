"""asv benchmarks of fastridge: kernels, solvers, cold start (see ../asv.conf.json)."""
