"""The input template of the PRISMA2020 R package / Shiny app, filled with our counts.

The rows below are the template's own ``data,node,box,description,boxtext,tooltips,url``
values, copied from ``inst/extdata/PRISMA.csv`` of the PRISMA2020 R package (Haddaway,
McGuinness, Pritchard; MIT licence; https://github.com/prisma-flowdiagram/PRISMA2020, commit
696d35e688113ecb6b7f3ae57395de496252ed0a). Only the ``n`` column is ours, so a team can load
our ``prisma.csv`` into ``PRISMA2020::PRISMA_data()`` or the Shiny app unchanged. A test
checks these names against a stored copy of the real template.

The package reads numbers with ``grep(<data name>, data[, 1])`` and parses the
``*_specific_results`` / ``*_excluded`` cells as ``"Label, n; Label, n"``, so labels are
sanitised to carry no ``,`` or ``;``.
"""

from __future__ import annotations

import csv
import io
import re

from screening.csv_formulas import escape_formula
from screening.prisma.model import PrismaCounts

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")

# (data, node, box, description, boxtext, tooltips, url) — verbatim from the template.
TEMPLATE_ROWS: tuple[tuple[str, ...], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review", "Studies included in previous version of review",
     "previous_studies.html"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA", "previous_reports.html"),
    ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers", "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA", "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching", "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations", "Organisations", "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching",
     "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records", "Duplicate records",
     "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
     "NA", "NA"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened",
     "Records screened (databases and registers)", "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded",
     "Records excluded (databases and registers)", "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
     "Reports sought for retrieval", "Reports sought for retrieval (databases and registers)",
     "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
     "Reports not retrieved", "Reports not retrieved (databases and registers)", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)", "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)", "Reports not retrieved",
     "Reports not retrieved (other)", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (databases and registers)",
     "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9",
     "Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. Reason1, xxx; "
     "Reason2, xxx; Reason3, xxx]", "Reports excluded", "Reports excluded (databases and registers)",
     "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)", "other_assessed.html"),
    ("other_excluded", "node21", "box15",
     "Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; "
     "Reason3, xxx]", "Reports excluded", "Reports excluded (other)", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
     "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies", "NA",
     "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review", "Total studies included in review",
     "Total studies included in review", "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies",
     "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box",
     "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box", "included.html"),
)

DATA_NAMES: tuple[str, ...] = tuple(r[0] for r in TEMPLATE_ROWS if r[0] != "NA")

# Which 'other methods' labels (config [prisma] other_methods keys) feed which template row.
_OTHER_KEYS = {
    "website_results": ("website",),
    "organisation_results": ("organisation", "organization"),
    "citations_results": ("citation",),
}


def _label(text: str) -> str:
    """A label safe inside the package's ``"Label, n; Label, n"`` cells."""
    return re.sub(r"\s+", " ", re.sub(r"[,;]", " -", text)).strip() or "Unlabelled"


def _pairs(values: dict[str, int]) -> str:
    """``"Label, n; Label, n"``; ``"0"`` when empty (the package parses a bare number as 'no list')."""
    return "; ".join(f"{_label(k)}, {v}" for k, v in values.items()) or "0"


def other_method_counts(other: dict[str, int]) -> dict[str, int]:
    """Map free-form other-methods labels onto the template's website/organisation/citations rows.

    Labels matching none of them are counted under websites (the template has no other slot);
    the diagram and report still show every label as given.
    """
    out = {name: 0 for name in _OTHER_KEYS}
    for label, n in other.items():
        low = label.lower()
        target = next((name for name, keys in _OTHER_KEYS.items() if any(k in low for k in keys)),
                      "website_results")
        out[target] += int(n)
    return out


def template_values(c: PrismaCounts) -> dict[str, str]:
    """The ``n`` cell of every template row, keyed by the row's ``data`` name."""
    other = other_method_counts(c.other_methods)
    typed_other = c.identified_other - c.other.identified_total
    values: dict[str, int | str] = {
        "previous_studies": c.previous_studies or 0,      # updated reviews ([prisma] flow = "update")
        "previous_reports": c.previous_reports or 0,
        "database_results": c.identified_databases,
        "database_specific_results": _pairs(c.databases),
        "register_results": c.identified_registers,
        "register_specific_results": _pairs(c.registers),
        **other,
        "duplicates": c.duplicates,
        "excluded_automatic": c.automation_rules,
        "excluded_other": c.removed_other,
        "records_screened": c.records_screened,
        "records_excluded": c.records_excluded,
        "dbr_sought_reports": c.reports_sought,
        "dbr_notretrieved_reports": c.reports_not_retrieved,
        # the other-methods column's flow: records another method identified are followed from
        # retrieval on; counts only typed in [prisma] other_methods are reported as sought, as
        # the tool never saw what became of them
        "other_sought_reports": c.other.reports_sought + typed_other,
        "other_notretrieved_reports": c.other.reports_not_retrieved,
        "dbr_assessed": c.reports_assessed,
        "dbr_excluded": _pairs(c.reports_excluded_reasons),
        "other_assessed": c.other.reports_assessed,
        "other_excluded": _pairs(c.other.reports_excluded_reasons),
        "new_studies": c.studies_included,
        # an update's new reports of previous studies are in total_reports, not here
        "new_reports": c.new_study_reports if c.is_update else c.reports_included,
        "total_studies": c.total_studies,
        "total_reports": c.total_reports,
    }
    return {k: str(v) for k, v in values.items()}


def partial_labels(c: PrismaCounts) -> dict[str, str]:
    """``boxtext`` of the rows whose counts are only *so far* while a screening stage is
    unfinished, as the diagram marks them (``Records screened (in progress - 40 of 242
    screened)``, ``Records excluded (so far)``). The ``n`` cells, the ``data`` names and every
    other column stay the template's, so the package still reads the file; the package draws
    ``boxtext`` as the box label, so a diagram drawn from a mid-review file says it is partial."""
    out: dict[str, str] = {}
    by_name = {r[0]: r[4] for r in TEMPLATE_ROWS}
    if c.screening_in_progress:
        ta = c.title_abstract
        progress = (f"stopped - {c.title_abstract_open} still being settled" if c.settling_after_stop
                    else f"{ta.status} - {c.unscreened_after_stop} to screen since the stop" if c.unscreened_after_stop
                    else f"{ta.status} - {ta.done} of {ta.total} screened")
        out["records_screened"] = f"{by_name['records_screened']} ({progress})"
    if c.full_text_in_progress and not c.screening_in_progress:
        out["dbr_assessed"] = (f"{by_name['dbr_assessed']} ({c.full_text.status} - "
                               f"{c.full_text.done} of {c.full_text.total} assessed)")
    if c.downstream_of_screening_partial:
        for name in ("records_excluded", "dbr_sought_reports", "dbr_assessed"):
            out[name] = f"{by_name[name]} (so far)"
    if c.downstream_of_full_text_partial:
        # a report is found not retrievable while full text goes on, as the diagram says
        for name in ("dbr_notretrieved_reports", "dbr_excluded"):
            out[name] = f"{by_name[name]} (so far)"
    if c.other_in_progress:
        out["other_assessed"] = (f"{by_name['other_assessed']} ({c.other.full_text.status} - "
                                 f"{c.other.full_text.done} of {c.other.full_text.total} assessed)")
        for name in ("other_notretrieved_reports", "other_excluded"):
            out[name] = f"{by_name[name]} (so far)"
    if c.included_partial:
        for name in ("new_studies", "new_reports"):
            out[name] = f"{by_name[name]} (so far)"
    if c.total_partial:
        for name in ("total_studies", "total_reports"):
            out[name] = f"{by_name[name]} (so far)"
    if c.previous_pending:
        for name in ("previous_studies", "previous_reports"):
            out[name] = f"{by_name[name]} (so far)"
    return {k: _label(v) for k, v in out.items()}


def to_csv(c: PrismaCounts) -> str:
    """``prisma.csv``: the template's rows and columns, with our counts in ``n``.

    Title rows (``data`` = NA) keep the template's 0. Written with ``\\n`` line endings.
    While screening is unfinished, the partial boxes' ``boxtext`` says so (:func:`partial_labels`).
    """
    values = template_values(c)
    labels = partial_labels(c)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in TEMPLATE_ROWS:
        data, node, box, description, boxtext, *rest = row
        # a database or reason label from the TOML or a colleague ('=HYPERLINK(...)') must not
        # run when the file is opened in a spreadsheet; the R package reads the quote as text
        writer.writerow([data, node, box, description, labels.get(data, boxtext), *rest,
                         escape_formula(str(values.get(data, "0")))])
    return buf.getvalue()
