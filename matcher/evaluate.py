"""A solution for a given allocation: how an edited proposal gets its costs and objective recomputed."""

from __future__ import annotations

from typing import Any

from .problem import Problem, ProblemError, validate
from .solve import build_solution


def evaluate(problem: dict[str, Any] | Problem, assignments: list[dict[str, Any]],
             status: str = "feasible") -> dict[str, Any]:
    """The solution dict (costs, objective, unmet) of ``assignments`` rows {request, source, quantity}.

    Rows for the same (request, source) are added up; rows of quantity 0 are dropped. Feasibility is not
    judged here: pass the result to :func:`check`.
    """
    prob = problem if isinstance(problem, Problem) else validate(problem)
    reqs = {r.id: r.index for r in prob.requests}
    lots = {k.id: k.index for k in prob.stock}
    offers = {o.id: o.index for o in prob.rentals}
    alloc: dict[tuple[str, int, int], int] = {}
    for i, row in enumerate(assignments):
        rid, src, q = row.get("request"), row.get("source"), row.get("quantity")
        if rid not in reqs:
            raise ProblemError(f"assignments[{i}]", "request", f"没有需求 {rid}")
        if src in lots:
            key = ("lot", lots[src], reqs[rid])
        elif src in offers:
            key = ("offer", offers[src], reqs[rid])
        else:
            raise ProblemError(f"assignments[{i}]", "source", f"没有来源 {src}")
        if not isinstance(q, int) or isinstance(q, bool) or q < 0:
            raise ProblemError(f"assignments[{i}]", "quantity", "须为非负整数")
        if q:
            alloc[key] = alloc.get(key, 0) + q
    return build_solution(prob, alloc, status)
