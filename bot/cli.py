"""The `sitroom` command: serve, worker, replay, demo, rules (lint, test, backtest), ask, report."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.sources import InputError
from bot.yamlfile import YamlError

log = logging.getLogger("sitroom")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sitroom", description="Crisis early warning for your own social channels.")
    p.add_argument("--config", help="config file (default: $SITROOM_CONFIG or ./config.yaml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="ingestion endpoints, health check and the local situation room")
    s.add_argument("--host")
    s.add_argument("--port", type=int)

    w = sub.add_parser("worker", help="score posts and evaluate rules (an RQ SimpleWorker)")
    w.add_argument("--burst", action="store_true", help="stop when the queue is empty")

    r = sub.add_parser("replay", help="feed a recorded stream (JSONL or CSV) through the pipeline")
    r.add_argument("file")
    r.add_argument("--speed", type=float, default=0, help="time compression (60 = an hour per minute; 0 = as fast as possible)")
    r.add_argument("--url", help="post to a running `sitroom serve` (signed) instead of writing to Redis directly")

    d = sub.add_parser("demo", help="the demo scenario: embedded Redis, web, worker and a synthetic day")
    d.add_argument("--headless", action="store_true", help="no browser: JSON lines per alert and a summary; exit 0 if all incidents were caught")
    d.add_argument("--duration", type=float, default=90, help="wall-clock seconds for the simulated day (default 90)")
    d.add_argument("--scale", type=float, default=1.0, help="traffic volume factor (default 1.0)")
    d.add_argument("--port", type=int, help="web port (default from config, or a free one)")

    rl = sub.add_parser("rules", help="work with rule files").add_subparsers(dest="rules_command", required=True)
    lint = rl.add_parser("lint", help="check rule files as a whole; print every problem with file and line")
    lint.add_argument("paths", nargs="*", help="rule files or folders (default: the rules folder of config.yaml)")
    rt = rl.add_parser("test", help="run rule unit tests (YAML: posts at times, alerts expected at times)")
    rt.add_argument("paths", nargs="*", help="test files or folders (default: tests/ in the rules folder of config.yaml)")
    rt.add_argument("--cache", help="score cache for posts without given scores (default: $SITROOM_DATA_DIR/score-cache.sqlite)")
    rt.add_argument("--no-cache", action="store_true", help="always run the detectors")
    bt = rl.add_parser("backtest", help="replay a recorded stream through detectors and rules on simulated time")
    bt.add_argument("file", help="a recorded stream: JSONL of the generic format or CSV (optionally .gz)")
    bt.add_argument("--rules", nargs="+", metavar="PATH", help="rule files or folders (default: the rules folder of config.yaml)")
    bt.add_argument("--cache", help="score cache (default: $SITROOM_DATA_DIR/score-cache.sqlite)")
    bt.add_argument("--no-cache", action="store_true", help="score every post again and keep nothing")

    _measuring(sub)
    sub.add_parser("telegram-poll", help="answer Telegram by long polling instead of the webhook")
    tw = sub.add_parser("telegram-webhook", help="tell Telegram where the webhook is (with the secret token)")
    tw.add_argument("url", help="public https URL of /telegram/webhook")

    a = sub.add_parser("ask", help="send one chat message to the bot and print its answer")
    a.add_argument("text")
    a.add_argument("--department")
    a.add_argument("--user", default=os.environ.get("USER", "cli"))
    a.add_argument("--charts-dir", default=".", metavar="DIR", help="where an answer's charts are saved as PNG (default: here)")

    rp = sub.add_parser("report", help="a department's report now: prints the chat text and the page's address")
    rp.add_argument("department")
    rp.add_argument("--since", default="24h", help="a duration (24h, 7d) or a local start time (2026-12-01T08:00); default 24h")
    rp.add_argument("--html", metavar="FILE", help="also write the page, charts included, to FILE")
    rp.add_argument("--lang", choices=["de", "en"], help="default: the report's or the department's language")
    return p


def _measuring(sub) -> None:
    """`eval KIND` and `train KIND`: each kind's module in bot/evaluation adds its own arguments."""
    import importlib

    from bot import evaluation

    ev = sub.add_parser("eval", help="measure a detector on labelled data").add_subparsers(dest="kind", required=True)
    for kind in evaluation.EVALUATIONS:
        module = importlib.import_module(f"bot.evaluation.{kind}")
        module.add_arguments(ev.add_parser(kind, help=module.__doc__.splitlines()[0]))
    tr = sub.add_parser("train", help="fit a detector on your own labelled data").add_subparsers(dest="kind", required=True)
    training = importlib.import_module("bot.evaluation.training")
    for kind in evaluation.TRAINING:
        training.add_arguments(tr.add_parser(kind, help=training.__doc__.splitlines()[0]))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else os.environ.get("SITROOM_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the log
    if args.config:
        os.environ["SITROOM_CONFIG"] = os.path.abspath(args.config)
    try:
        return _run(args)
    except YamlError as e:
        print("sitroom: cannot start, the configuration has problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except InputError as e:
        print("sitroom: the input has problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    if args.command == "demo":
        from bot.demo import runner

        return runner.run(headless=args.headless, duration=args.duration, scale=args.scale, port=args.port)

    if args.command in ("eval", "train"):
        import importlib

        module = f"bot.evaluation.{args.kind}" if args.command == "eval" else "bot.evaluation.training"
        return importlib.import_module(module).run(args)

    if args.command == "rules":
        if args.rules_command == "test":
            return _rule_tests(args.paths, args.cache, args.no_cache)
        if args.rules_command == "backtest":
            return _backtest(args.file, args.rules, args.cache, args.no_cache)
        return _lint(args.paths)

    from bot.context import Context

    ctx = Context.create()
    if args.command == "serve":
        return _serve(ctx, args.host, args.port)
    if args.command == "worker":
        from bot import worker

        worker.run(ctx, burst=args.burst)
        return 0
    if args.command == "replay":
        from bot import replay

        stats = replay.run(ctx, args.file, speed=args.speed, url=args.url)
        print(f"replayed {stats['sent']} posts: {stats['accepted']} accepted, {stats['duplicates']} duplicates")
        return 0
    if args.command in ("telegram-poll", "telegram-webhook"):
        from bot.platforms import telegram

        if telegram.adapter(ctx) is None:
            print("sitroom: Telegram is off: set TELEGRAM_BOT_TOKEN", file=sys.stderr)
            return 2
        if args.command == "telegram-poll":
            telegram.poll(ctx)
        else:
            telegram.set_webhook(ctx, args.url)
            print(f"Telegram now delivers updates to {args.url}")
        return 0
    if args.command == "ask":
        from bot import commands

        reply = commands.handle(ctx, commands.Request(args.text, args.user, args.department, "cli"))
        print(reply.text, flush=True)
        for path in _save_charts(reply.charts, args.charts_dir, ctx.cfg.timezone):
            print(path)
        return 0
    if args.command == "report":
        return _report(ctx, args.department, args.since, args.html, args.lang)
    raise AssertionError(args.command)


def _report(ctx, department: str, since: str, html_path: str | None, lang: str | None) -> int:
    """`sitroom report`: the department's report (its configured filters) from --since until now."""
    import time

    from bot import report

    if ctx.cfg.department(department) is None:
        known = ", ".join(d.name for d in ctx.cfg.departments)
        print(f"sitroom: unknown department '{department}'; known: {known}", file=sys.stderr)
        return 2
    try:
        made = report.on_demand(ctx, department, since, time.time(), lang)
    except ValueError as e:
        print(f"sitroom: --since: {e}", file=sys.stderr)
        return 2
    print(made.text)
    print(made.path)
    if html_path:
        with open(html_path, "w", encoding="utf-8") as f:
            f.write(report.standalone(ctx.cfg, made))
    return 0


def _save_charts(charts, folder: str, tz: str) -> list[str]:
    """Each chart as a PNG in `folder`, named after it and the local time; never overwrites a file."""
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    stamp = datetime.now(ZoneInfo(tz)).strftime("%Y%m%d-%H%M%S")
    saved = []
    for chart in charts:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            path = Path(folder) / f"sitroom-{Path(chart.name).stem}-{stamp}{f'-{n}' if n > 1 else ''}.png"
            try:
                with open(path, "xb") as f:  # x: fails when the file exists, so a second run in the same second gets -2
                    f.write(chart.png)
            except FileExistsError:
                continue
            saved.append(str(path))
            break
    return saved


def _lint(paths: list[str]) -> int:
    """`sitroom rules lint`: 0 when every file is good, 1 with every problem listed otherwise."""
    from bot import config
    from rules import loader

    cfg = config.load()
    found = loader.files(*(paths or [config.rules_dir(cfg)]))
    try:
        rules = loader.load_files(found, cfg)
    except YamlError as e:
        for problem in e.problems:
            print(problem)
        print(f"{len(e.problems)} problem(s) in {len(found)} file(s)", file=sys.stderr)
        return 1
    print(f"{len(rules)} rules in {len(found)} file(s): OK")
    return 0


def _scoring(cfg, cache_path: str | None, no_cache: bool):
    """The score cache (or None) and a scorer factory that loads the model only when first needed."""
    from bot import backtest, redisconn

    cache = None if no_cache else backtest.ScoreCache(cache_path or redisconn.data_dir() / "score-cache.sqlite", cfg)
    loaded: list = []

    def make_scorer():
        if not loaded:
            from detectors.scorer import Scorer

            loaded.append(Scorer.from_config(cfg))
        return loaded[0]

    return cache, make_scorer


def _rule_tests(paths: list[str], cache_path: str | None, no_cache: bool) -> int:
    """`sitroom rules test`: 0 when every test passes, 1 when one fails, 2 when a file is bad."""
    from pathlib import Path

    from bot import backtest, config, ruletest
    from rules import loader

    cfg = config.load()
    found = loader.files(*(paths or [config.rules_dir(cfg) / "tests"]))
    if not found:
        print(f"sitroom: no rule test files in {', '.join(paths) or config.rules_dir(cfg) / 'tests'}", file=sys.stderr)
        return 2
    ready: list = []  # cache and scorer, set up only when a test has posts without given scores

    def score(posts):
        if not ready:
            ready.extend(_scoring(cfg, cache_path, no_cache))
        return backtest.score(posts, ready[1], ready[0])[0]

    return ruletest.run([Path(p) for p in found], cfg, score)


def _backtest(path: str, rule_paths: list[str] | None, cache_path: str | None, no_cache: bool) -> int:
    """`sitroom rules backtest`: the report on stdout, ending with one JSON line."""
    from bot import backtest, config
    from rules import loader

    cfg = config.load()
    rules = loader.load_files(loader.files(*(rule_paths or [config.rules_dir(cfg)])), cfg)
    cache, make_scorer = _scoring(cfg, cache_path, no_cache)
    print(backtest.format_report(backtest.run(cfg, rules, path, make_scorer, cache)))
    return 0


def _serve(ctx, host: str | None, port: int | None) -> int:
    import uvicorn

    from bot.web import create_app

    app = create_app(ctx)
    host = host or ctx.cfg.server.host
    port = port or int(os.environ.get("PORT") or ctx.cfg.server.port)  # honcho and PaaS set PORT
    print(f"situation room: http://{host}:{port}/?token={app.state.room_token}", flush=True)
    # Open room tabs keep an event stream open: do not wait for them forever on shutdown.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    return 0
