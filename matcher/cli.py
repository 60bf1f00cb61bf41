"""Command line: ``python -m matcher solve|check`` (docs/matching.md, "Command line")."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .check import check
from .problem import ProblemError, parse_json, validate
from .solve import solve


def _emit(text: str, err: bool = False) -> None:
    """Write one line as UTF-8 whatever the locale; lone surrogates (from JSON escapes) as \\uXXXX."""
    stream = sys.stderr if err else sys.stdout
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    buf = getattr(stream, "buffer", None)
    if buf is not None:
        stream.flush()
        buf.write((safe + "\n").encode("utf-8"))
        buf.flush()
    else:
        stream.write(safe + "\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        _emit(f"错误：命令行参数有误：{message}", err=True)
        raise SystemExit(2)


def _read(path: str, what: str) -> Any:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ProblemError(f"{what}文件 {path}", None, f" 无法读取：{exc.strerror or exc}") from None
    return parse_json(data, what)


def _progress(done: int, total: int) -> None:
    print(f"\r求解中：{done}/{total} 个独立子问题", end="" if done < total else "\n", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog="python -m matcher", description="公物仓调配求解器（docs/matching.md 格式版本 1）")
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    ps = sub.add_parser("solve", help="求解问题，输出解 JSON")
    ps.add_argument("problem")
    ps.add_argument("-o", "--output")
    ps.add_argument("--time-limit", type=float, default=None)
    ps.add_argument("--progress", action="store_true", help="在标准错误输出显示进度")
    pc = sub.add_parser("check", help="检查解是否可行、数字是否正确")
    pc.add_argument("problem")
    pc.add_argument("solution")
    args = ap.parse_args(argv)
    try:
        problem = validate(_read(args.problem, "问题"))
        if args.cmd == "solve":
            if args.time_limit is not None and not args.time_limit >= 0:
                _emit("错误：--time-limit 应为不小于 0 的秒数", err=True)
                return 2
            sol = solve(problem, args.time_limit, _progress if args.progress else None)
            text = json.dumps(sol, ensure_ascii=False, indent=1)
            if args.output:
                try:
                    with open(args.output, "w", encoding="utf-8", errors="backslashreplace") as fh:
                        fh.write(text + "\n")
                except OSError as exc:
                    _emit(f"错误：无法写入 {args.output}：{exc.strerror or exc}", err=True)
                    return 2
            else:
                _emit(text)
            return 1 if sol["status"] == "error" else 0
        try:
            solution = _read(args.solution, "解")
        except ProblemError as exc:
            _emit(str(exc), err=True)
            return 1
        errs = check(problem, solution)
        for e in errs:
            _emit(e, err=True)
        if not errs:
            _emit("通过：解可行，所有数字正确。")
        return 1 if errs else 0
    except ProblemError as exc:
        _emit(str(exc), err=True)
        return 2
    except KeyboardInterrupt:
        _emit("已中断", err=True)
        return 130
