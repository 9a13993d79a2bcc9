"""Pipeline stages.

``ingest`` is special (files in, table out) and is called by the runner directly; the others
register a :class:`screening.stage.Stage` when imported and run in their ``order``: dedup (20),
apply_rules (30), rank (40). :func:`screening.stage.registered_stages` imports them; this
package itself imports nothing, so reading exports never loads the ML stack.
"""
