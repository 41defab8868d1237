"""Implementation of :mod:`fastridge.io`, one module per job.

* ``_common``: :class:`InputError`, file opening, finiteness scans;
* ``_svmlight``: svmlight / libsvm text (and finding the bad line on errors);
* ``_formats``: format detection and :func:`read_matrix` for every format;
* ``_folder``: the memory-mapped CSR folder and checksums;
* ``_targets``: targets from labels, ``.npy`` or CSV columns;
* ``_convert``: any readable format to a CSR folder.

Import from :mod:`fastridge.io`; these modules are private.
"""
