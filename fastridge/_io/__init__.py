"""Implementation of :mod:`fastridge.io`, one module per job.

* ``_common``: :class:`InputError`, file opening, finiteness scans;
* ``_svmlight``: svmlight / libsvm text (and finding the bad line on errors);
* ``_formats``: format detection and :func:`read_matrix` for every format;
* ``_folder_layout``: the CSR folder's files and header, a CSR matrix without a copy;
* ``_folder``: reading a CSR folder (memory-mapped, checked);
* ``_folder_write``: writing a CSR folder atomically;
* ``_checksum``: SHA-256 of files and folders;
* ``_targets``: targets from labels, ``.npy`` or CSV columns;
* ``_convert``: any readable format to a CSR folder.

Import from :mod:`fastridge.io`; these modules are private.
"""
