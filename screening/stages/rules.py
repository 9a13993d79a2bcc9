"""Stage ``apply_rules`` (order 30, TOML section ``[rules]``): inclusion rules as data.

The logic lives in :mod:`screening.rules`; this module only registers it with the runner.
"""

from __future__ import annotations

import pandas as pd

from screening.rules.apply import apply_rules
from screening.rules.check import ruled_out_decisions
from screening.rules.model import RulesConfig
from screening.stage import Stage, StageInputs, StageResult, register_stage


def run(records: pd.DataFrame, config: RulesConfig, inputs: StageInputs) -> StageResult:
    """Mark every record with rule_decision/rule_ids/rule_reasons/rule_terms (no row dropped)."""
    return apply_rules(records, config)


# version 2: a query matching no record is warned of with the query as written; 3: a query
# term in an empty field is unknown (missing data), per-record missing reasons, language tags
# with a region, und/mul as no language, Zotero and bare 'Article' types as journal articles;
# 4: a year rule reads every duplicate's year (fires on a group only when no copy is in range);
# 6: records another method identified are not checked (rule_decision empty); 7: query words
# fold ø, ß, ł, ı, æ ... and Arabic/Hebrew vowel marks as dedup does; a language written in that
# language ('Deutsch', '中文') is that language, a language value the rules do not recognise is
# missing data (warned), never 'not in the list'; `ti:` also searches the title in the article's
# own language (title_original)
STAGE = register_stage(Stage(
    name="apply_rules", order=30, run=run, config_type=RulesConfig, toml_key="rules", version="7",
    guard=ruled_out_decisions, allow_option="--allow-rule-changes",
    allow_hint="undo the rule edit, or see what it does with `screening rules check {review}`; if the eligibility "
               "criteria really changed after screening began (a protocol amendment), run with "
               "`screening run {review} --allow-rule-changes`: PRISMA and the methods paragraph then report "
               "those records as excluded by the rules after screening began",
))
