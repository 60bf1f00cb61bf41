"""公物仓 allocation solver: the contract is docs/matching.md (format version 1).

Pure: imports nothing of the rest of the product and touches no database.
"""

from .check import check
from .evaluate import evaluate
from .problem import Lot, Offer, Problem, ProblemError, Request, parse_json, validate
from .solve import solve
from .why import candidates

__all__ = ["Lot", "candidates", "Offer", "Problem", "ProblemError", "Request", "check", "evaluate", "parse_json", "solve", "validate"]
