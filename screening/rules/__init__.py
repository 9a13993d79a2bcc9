"""Inclusion rules as data: eligibility criteria in the review TOML, applied with a reason.

``model`` builds and validates rules from TOML, ``query`` parses and evaluates the text-query
language, ``textindex`` is the positional word index queries run on, ``apply`` is the pure
stage function and the explanation behind ``screening rules check``, ``check`` loads a review.
"""

from screening.rules.apply import RulesCheck, apply_rules, explain_rules
from screening.rules.model import Rule, RulesConfig, rules_from_mapping
from screening.rules.query import QuerySyntaxError, parse

__all__ = ["Rule", "RulesCheck", "RulesConfig", "QuerySyntaxError", "apply_rules", "explain_rules",
           "parse", "rules_from_mapping"]
