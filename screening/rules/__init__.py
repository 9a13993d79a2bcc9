"""Inclusion rules as data: eligibility criteria in the review TOML, applied with a reason.

``model`` builds and validates rules from TOML, ``query`` parses the text-query language and
``query_eval`` evaluates it, ``textindex`` is the positional word index queries run on (its
matches are ``occurrences``), ``conditions`` decides which records each rule fires on,
``apply`` is the pure stage function, ``explain`` the explanation behind ``screening rules
check`` (with ``notes`` on what the rules could not see), ``check`` loads a review.
"""

from screening.rules.apply import apply_rules
from screening.rules.explain import RulesCheck, explain_rules
from screening.rules.model import Rule, RulesConfig, rules_from_mapping
from screening.rules.query import QuerySyntaxError, parse

__all__ = ["Rule", "RulesCheck", "RulesConfig", "QuerySyntaxError", "apply_rules", "explain_rules",
           "parse", "rules_from_mapping"]
