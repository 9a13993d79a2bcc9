"""Human screening: the append-only decision log and everything derived from it.

Modules: ``event`` (one entry of the log, and the interface a log implements), ``store`` (its
SQLite implementation; ``reader_open`` opening it without changing its files;
``sqlite_trouble`` what SQLite's failures mean; ``lost_log`` a log missing although the
outputs show it existed), ``entries`` (the log as a frame,
standing decisions), ``outcomes`` (finals, conflicts), ``progress`` (stage progress, training
labels), ``visibility`` (blinding), ``views`` (the documented ones of these, re-exported for
scripts), ``agreement`` (kappa & co.), ``plan`` (dual-screening plans), ``imports`` (reading
decision CSVs: ``import_csv`` the file, ``record_matching`` its rows' records, ``import_ids``
their event ids), ``session`` (the interactive state machine), ``api`` (one function per CLI
command: the facade over ``review``, ``recording``, ``importing``, ``dual_screening`` and
``queries``).
"""
