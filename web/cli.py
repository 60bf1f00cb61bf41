"""The ``gongwucang`` command: demo, serve, import, user.

Errors a user can cause print one line in Chinese and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from market.errors import MarketError

EXIT_USAGE = 2


class CliError(Exception):
    """A user's mistake on the command line: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2 (argparse's default prints usage too)
        print(f"gongwucang: 参数错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"端口须为 1–65535 的整数：{value}")
    return int(value)


def _prepare_database(build_demo: bool) -> None:
    """Migrate the database to the newest schema; with ``build_demo``, fill an empty one with the demo city."""
    from market.infra.config import settings
    from market.infra.db import is_empty, session_scope, upgrade

    url = settings().database_url
    empty = is_empty(url)
    upgrade(url)
    if build_demo and empty:
        from market.demo import build_demo as build

        print("正在生成演示城市数据（首次运行）…", flush=True)
        started = time.perf_counter()
        with session_scope(url, write=True) as db:
            summary = build(db, progress=lambda msg: print(f"  {msg}", flush=True))
        print(f"演示数据已生成：{summary.units} 个单位，{summary.assets} 件资产，{summary.listings} 批挂牌，"
              f"{summary.requests} 份申请，用时 {time.perf_counter() - started:.1f} 秒。", flush=True)


def _serve(host: str, port: int, workers: int = 1) -> None:
    os.environ.setdefault("GONGWUCANG_ACCESS_LOG", "1")  # one line per request on stdout (0: none)
    from web.serve import PortUnavailable, serve  # several workers: a socket each (see web/serve.py)

    try:
        serve("web.app:create_app", factory=True, host=host, port=port, workers=workers)
    except PortUnavailable as exc:  # this module's CliError: under ``python -m web.cli`` it is __main__'s
        raise CliError(str(exc)) from None


def _user(db, username: str):  # noqa: ANN001, ANN202
    """The account a command acts as, or one clear line."""
    from market.accounts import user_by_name

    actor = user_by_name(db, username)
    if actor is None:
        raise CliError(f"找不到用户：{username}")
    return actor


def _unit(db, text: str):  # noqa: ANN001, ANN202
    """The unit named by its code or full name, or one clear line."""
    from market.accounts import unit_by_code_or_name

    unit = unit_by_code_or_name(db, text)
    if unit is None:
        raise CliError(f"找不到单位：{text}（请用单位代码或全称）。")
    return unit


def _progress_bar(unit: str, desc: str, quiet: bool):  # noqa: ANN202
    """A tqdm bar and the ``progress(done, total)`` callback that moves it."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit=unit, desc=desc, disable=quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, progress


def cmd_demo(args: argparse.Namespace) -> None:
    from market.demo import DEMO_ACCOUNTS

    _prepare_database(build_demo=True)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{args.port}"
    print(f"\n公物仓演示已启动：{url}\n\n演示账号（每个角色一个）：")
    seen = set()
    for username, role_label, password in DEMO_ACCOUNTS:
        if role_label not in seen:
            seen.add(role_label)
            print(f"  {role_label}\t用户名 {username}\t密码 {password}")
    print("  其他单位的资产管理员：单位代码小写 + _admin（如 wjw_admin），密码相同。")
    print("\n按 Ctrl+C 停止。", flush=True)
    _serve(args.host, args.port)


def cmd_serve(args: argparse.Namespace) -> None:
    _prepare_database(build_demo=False)
    print(f"公物仓已启动：http://{args.host}:{args.port}（{args.workers} 个工作进程）", flush=True)
    _serve(args.host, args.port, args.workers)


def cmd_user_add(args: argparse.Namespace) -> None:
    from market.accounts import create_user
    from market.infra.db import session_scope

    if not args.password_stdin:
        raise CliError("请用 --password-stdin 从标准输入提供密码（避免密码出现在命令历史中）。")
    password = sys.stdin.readline().rstrip("\r\n")
    _prepare_database(build_demo=False)
    with session_scope(write=True) as db:
        unit_id = _unit(db, args.unit).id if args.unit else None
        user = create_user(db, None, args.username, args.role, password, unit_id, args.name or "")
    print(f"已创建用户 {user.username}（{user.role_label}）。")


def cmd_import(args: argparse.Namespace) -> None:
    from market.imports import ImportRejected, import_upload
    from market.infra.db import session_scope

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    _prepare_database(build_demo=False)
    with session_scope() as db:
        unit = _unit(db, args.unit)
        actor = _user(db, args.user)
    bar, progress = _progress_bar("行", "导入", args.quiet)
    try:  # read in a worker process, checked, then written in one transaction (market.imports.import_upload)
        result = import_upload(actor.id, unit.id, path, path.name, progress=progress)
    except ImportRejected as exc:
        bar.close()
        for err in exc.errors[: args.max_errors]:
            print(f"  第 {err.row} 行 [{err.column}]：{err.reason}", file=sys.stderr)
        if len(exc.errors) > args.max_errors:
            print(f"  …另有 {len(exc.errors) - args.max_errors} 处错误未列出", file=sys.stderr)
        raise CliError(exc.message) from None
    bar.close()
    print(f"已导入 {result.created} 件资产到{unit.name}，用时 {result.seconds:.1f} 秒。")


def cmd_categories(args: argparse.Namespace) -> None:
    from market import standards
    from market.catalogue import export_csv, load_categories, read_csv
    from market.infra.db import session_scope

    _prepare_database(build_demo=False)
    with session_scope(write=True) as db:
        if args.categories_command == "export":
            sys.stdout.write(export_csv(db))
            return
        path = Path(args.file)
        if not path.is_file():
            raise CliError(f"文件不存在：{path}")
        result = load_categories(db, None, read_csv(path.read_bytes()))
        defaults = standards.load_defaults(db) if not standards.any_standard(db) else None
    print(f"资产分类已导入：新增 {result.added} 个，更新 {result.updated} 个。")
    if defaults is not None:  # a new installation's catalogue: the central configuration standard with it
        print(f"已按中央配置标准设置 {defaults.added} 个分类的配置标准（可在系统管理—配置标准中修改）。")


def cmd_standards(args: argparse.Namespace) -> None:
    from market import standards
    from market.infra.db import session_scope

    _prepare_database(build_demo=False)
    with session_scope(write=True) as db:
        if args.standards_command == "export":
            sys.stdout.write(standards.export_csv(db))
            return
        if args.standards_command == "defaults":
            result = standards.load_defaults(db)
        else:
            path = Path(args.file)
            if not path.is_file():
                raise CliError(f"文件不存在：{path}")
            result = standards.load_standards(db, None, standards.read_standards_csv(path.read_bytes()))
    print(f"配置标准已导入：新增 {result.added} 个，更新 {result.updated} 个"
          + (f"，跳过分类目录中没有的 {len(result.skipped)} 个（{'、'.join(result.skipped)}）" if result.skipped else "")
          + "。")


def cmd_match(args: argparse.Namespace) -> None:

    from market.infra.db import session_scope
    from market.proposals import accept_proposal, run_matcher

    _prepare_database(build_demo=False)
    with session_scope(write=True) as db:
        actor = _user(db, args.user)
        bar, progress = _progress_bar("组", "求解", args.quiet)

        prop = run_matcher(db, actor, args.policy, args.time_limit, progress)
        bar.close()
        if args.accept:
            accept_proposal(db, actor, prop.id)
        print(summary_text(prop))


def summary_text(prop) -> str:  # noqa: ANN001
    sol = prop.solution
    tiers = {"warehouse": 0, "idle": 0, "rental": 0}
    for row in sol["assignments"]:
        tiers[row["tier"]] += row["quantity"]
    need = sum(r["quantity"] for r in prop.problem["requests"])
    unmet = sum(u["quantity"] for u in sol["unmet"])
    status = {"optimal": "已证明最优", "feasible": "时间上限内的最好方案（未证明最优）"}[sol["status"]]
    lines = [
        f"调配方案 #{prop.id}（{status}，{'已采纳' if prop.status == 'accepted' else '草稿，待管理员审核采纳'}）",
        f"  需求 {len(prop.problem['requests'])} 行，共 {need} 件",
        f"  公物仓库存 {tiers['warehouse']} 件 · 单位闲置 {tiers['idle']} 件 · 市场租赁 {tiers['rental']} 件 · 未满足 {unmet} 件",
        f"  费用合计 ¥{prop.cost_total:,.2f}（处置 ¥{sol['cost']['handling']:,.2f}，运输 ¥{sol['cost']['transport']:,.2f}，"
        f"租金 ¥{sol['cost']['rental']:,.2f}，送货 ¥{sol['cost']['delivery']:,.2f}）",
    ]
    if prop.cost_all_rented is not None:
        lines.append(f"  若全部租用 ¥{prop.cost_all_rented:,.2f}，节约 ¥{prop.cost_all_rented - prop.cost_total:,.2f}")
    lines.append(f"  若全部新购 ¥{prop.cost_all_new:,.2f}，节约 ¥{prop.cost_all_new - prop.cost_total:,.2f}")
    lines.append(f"  求解用时 {prop.seconds:.2f} 秒")
    return "\n".join(lines)


def cmd_backup(args: argparse.Namespace) -> None:
    from market.infra.backup import backup

    target = backup(Path(args.file) if args.file else None)
    print(f"已备份到 {target}")


def cmd_restore(args: argparse.Namespace) -> None:
    from market.infra.backup import restore
    from market.infra.db import dispose_engines

    dispose_engines()
    kept = restore(Path(args.file))
    print(f"已从 {args.file} 恢复（恢复前的数据库另存为 {kept}）。请重新启动服务。")


def cmd_reindex(args: argparse.Namespace) -> None:
    from market.infra.db import session_scope
    from market.pool.index import PoolIndex, open_pool_backend

    _prepare_database(build_demo=False)
    started = time.perf_counter()
    with session_scope() as db:
        index = PoolIndex(open_pool_backend())
        n = index.rebuild(db)
        health = index.backend.health()
    where = "Meilisearch" if health.get("kind") in ("meilisearch", "meili") else "内置索引（服务进程启动时也会自行重建）"
    print(f"已重建搜索索引：{n} 条文档，用时 {time.perf_counter() - started:.1f} 秒（{where}）。")


def cmd_notify(args: argparse.Namespace) -> None:
    from market.channels import delivery_summary, prune_deliveries, send_pending
    from market.infra.db import session_scope
    from market.notices import sweep_loans

    _prepare_database(build_demo=False)
    if args.sweep:
        with session_scope(write=True) as db:
            print(f"到期、逾期与待领取提醒：新发 {sweep_loans(db)} 条。")
    if args.send or not args.sweep:
        got = send_pending(limit=args.limit)
        print(f"外部通知：发送成功 {got['sent']} 条，稍后重试 {got['retry']} 条，放弃 {got['failed']} 条"
              + (f"，未配置发送通道而暂存 {got['unconfigured']} 条（未配置邮件服务或工作群机器人）"
                 if got["unconfigured"] else "") + "。")
    with session_scope(write=True) as db:
        pruned = prune_deliveries(db)
        db.commit()
    if any(pruned.values()):
        print(f"外部通知清理：超过 3 天未能发送而放弃 {pruned['gave_up']} 条，删除 30 天前已发送的 {pruned['sent']} 条、"
              f"90 天前发送失败的 {pruned['failed']} 条。")
    with session_scope() as db:
        names = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
        for channel, counts in sorted(delivery_summary(db).items()):
            label = {"email": "邮件", "chat": "工作群"}.get(channel, channel)
            print(f"  {label}：" + "，".join(f"{names.get(k, k)} {v}" for k, v in sorted(counts.items())))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gongwucang", description="公物仓：行政事业单位资产共享调剂平台")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="生成演示城市数据（若数据库为空）并启动服务")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=_port, default=8000)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="迁移数据库并启动服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="N",
                       help="工作进程数（默认 1）")
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser("import", help="从 .xlsx 或 .csv 导入单位资产台账（全部通过才写入）")
    imp.add_argument("file")
    imp.add_argument("--unit", required=True, help="单位代码或全称")
    imp.add_argument("--user", required=True, help="以哪个账号的名义导入（须有导入权限）")
    imp.add_argument("--max-errors", type=int, default=50, help="最多列出多少处错误")
    imp.add_argument("--quiet", action="store_true", help="不显示进度条")
    imp.set_defaults(func=cmd_import)

    match = sub.add_parser("match", help="对已批准的申请运行调配求解，生成调配方案")
    match.add_argument("--user", required=True, help="以哪个公物仓管理员账号运行")
    match.add_argument("--policy", choices=["tiered", "cost"], default="tiered",
                       help="tiered：先库存、再闲置、后租赁；cost：总费用最低")
    match.add_argument("--time-limit", type=float, default=60.0, help="求解时间上限（秒）")
    match.add_argument("--accept", action="store_true", help="直接采纳方案并生成单据")
    match.add_argument("--quiet", action="store_true", help="不显示进度条")
    match.set_defaults(func=cmd_match)

    cats = sub.add_parser("categories", help="资产分类目录：从 CSV 导入（新增或更新）或导出")
    cats_sub = cats.add_subparsers(dest="categories_command", required=True, parser_class=_Parser)
    cat_import = cats_sub.add_parser("import", help="从 CSV 导入（列：分类代码, 分类名称, 上级代码, 计量单位, 运输费率, 参考单价, 典型重量, 目录版本）")
    cat_import.add_argument("file")
    cat_import.set_defaults(func=cmd_categories)
    cats_sub.add_parser("export", help="导出为 CSV（标准输出）").set_defaults(func=cmd_categories)

    stds = sub.add_parser("standards", help="配置标准（价格上限、数量比例、最低使用年限、折旧年限）：CSV 导入、导出或恢复中央标准")
    stds_sub = stds.add_subparsers(dest="standards_command", required=True, parser_class=_Parser)
    std_import = stds_sub.add_parser("import", help="从 CSV 导入（列：分类代码, 价格上限, 价格上限（司局级）, 价格上限（处级及以下）, "
                                                    "数量比例, 数量比例（涉密网络）, 限额组, 最低使用年限, 折旧年限, 依据）")
    std_import.add_argument("file")
    std_import.set_defaults(func=cmd_standards)
    stds_sub.add_parser("export", help="导出为 CSV（标准输出）").set_defaults(func=cmd_standards)
    stds_sub.add_parser("defaults", help="按随附的中央标准（财资〔2016〕27号等）设置").set_defaults(func=cmd_standards)

    reidx = sub.add_parser("reindex", help="从数据库重建搜索索引")
    reidx.set_defaults(func=cmd_reindex)

    note = sub.add_parser("notify", help="发送到期提醒（--sweep）与待发的邮件、工作群通知（--send，默认）")
    note.add_argument("--send", action="store_true", help="发送待发的邮件与工作群通知（失败的按退避时间重试）")
    note.add_argument("--sweep", action="store_true", help="检查到期、逾期与待领取的单据并提醒")
    note.add_argument("--limit", type=int, default=500, help="本次最多发送条数（默认 500）")
    note.set_defaults(func=cmd_notify)

    bak = sub.add_parser("backup", help="在线备份 SQLite 数据库（服务运行时也安全）")
    bak.add_argument("file", nargs="?", help="备份文件路径（默认 data/backups/ 下按时间命名）")
    bak.set_defaults(func=cmd_backup)
    res = sub.add_parser("restore", help="从备份恢复 SQLite 数据库（服务运行时拒绝执行，请先停止服务）")
    res.add_argument("file")
    res.set_defaults(func=cmd_restore)

    user = sub.add_parser("user", help="账号管理")
    user_sub = user.add_subparsers(dest="user_command", required=True, parser_class=_Parser)
    add = user_sub.add_parser("add", help="创建账号")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="unit_staff / unit_manager / warehouse_admin / finance / sysadmin")
    add.add_argument("--unit", help="所属单位代码或全称（单位用户必填）")
    add.add_argument("--name", help="显示名称")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    add.set_defaults(func=cmd_user_add)
    return parser


# Commands that only read (or that take the data directory alone) do not mark it as in use.
NOT_USING = {"backup", "restore"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command not in NOT_USING:
            from market.infra.serving import hold_shared

            hold_shared()  # ``restore`` refuses while this process runs (market/infra/serving.py)
        args.func(args)
    except (CliError, MarketError) as exc:
        print(f"gongwucang: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
