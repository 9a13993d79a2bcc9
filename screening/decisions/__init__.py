"""Human screening: the append-only decision log and everything derived from it.

Modules: ``store`` (the log and its SQLite implementation), ``views`` (standing decisions,
finals, conflicts, progress, blinding), ``agreement`` (kappa & co.), ``plan`` (dual-screening
plans), ``imports`` (reading decision CSVs), ``session`` (the interactive state machine),
``api`` (one function per CLI command: the facade over ``review``, ``recording``,
``importing``, ``dual_screening`` and ``queries``).
"""
