"""The two commands of the quick start: `run` (the whole stack) and `test` (every test)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from app.ops import asterisk_root, audit_cli, postgres, system
from app.ops.stack import Stack
from app.settings import PROJECT_DIR, get_settings


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _install_model(args: argparse.Namespace) -> None:
    if getattr(args, "vosk_model", None):
        from app.ops import vosk_model

        vosk_model.install(args.vosk_model, get_settings().vosk_model_dir)


def cmd_run(args: argparse.Namespace) -> int:
    settings = get_settings()
    stack = Stack(settings)
    # Set both explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    started = time.monotonic()
    try:
        print("[run] setting up (packages, Asterisk, prompts, database)...", flush=True)
        stack.setup()
        _install_model(args)
        print("[run] starting Redis, FastAGI, Asterisk and the web app...", flush=True)
        stack.start()
        health = stack.health()
        ready = time.monotonic() - started
        print(f"\nTổng đài 1022 is up in {ready:.1f} s  (health: {health['status']}, "
              f"failed: {', '.join(health['failed']) or 'none'})")
        print(f"  Dial:    1022 or 02351022 from the trunk address {settings.trunk_address} "
              f"to sip:1022@{settings.sip_bind}:{settings.sip_port}")
        print(f"           e.g. sipp -sn uac -s 1022 -i {settings.trunk_address} -m 1 "
              f"{settings.sip_bind}:{settings.sip_port}")
        print(f"  Phones:  operators {', '.join(settings.operators)} register at "
              f"{settings.sip_bind}:{settings.sip_port}; passwords in {settings.var_dir / 'secrets.json'}")
        scheme = "https" if settings.web_tls else "http"
        print(f"  Browse:  {scheme}://{settings.http_host}:{settings.http_port}/health  and  /docs")
        print(f"  API:     curl -H 'Authorization: Bearer {stack.admin_token}' "
              f"{scheme}://{settings.http_host}:{settings.http_port}/api/calls")
        print(f"  Logs:    {stack.log_dir}")
        print("Press Ctrl-C to stop everything this command started.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\n[run] stopping...", flush=True)
        return 0
    finally:
        stack.stop()


def cmd_test(args: argparse.Namespace) -> int:
    settings = get_settings()
    print("[test] installing what the tests need (only what is missing)...", flush=True)
    system.ensure_packages(system.TEST_PACKAGES)
    asterisk_root.locate(settings.cache_dir)  # build the sid root once, before any test times out on it
    cluster, port, started = postgres.ensure_running()
    env = dict(os.environ)
    env["TD_TEST_POSTGRES_URL"] = postgres.test_database_url(port, settings.var_dir / "pg-test-password", PROJECT_DIR)
    try:
        cmd = [sys.executable, "-m", "pytest", *args.pytest_args]
        print("[test] " + " ".join(cmd), flush=True)
        code = subprocess.run(cmd, cwd=PROJECT_DIR, env=env).returncode
    finally:
        postgres.drop_test_database(PROJECT_DIR)
        if started:
            postgres.stop(cluster)
    # pytest's 5 means no test ran: that is a failure for us.
    return 1 if code == 5 else code


def cmd_setup(args: argparse.Namespace) -> int:
    Stack(get_settings()).setup()
    _install_model(args)
    print("[setup] done")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tongdai", description="Tổng đài 1022 stack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="set up and run the whole stack")
    setup = sub.add_parser("setup", help="set up only (packages, Asterisk root, config, database)")
    for command, func in ((run, cmd_run), (setup, cmd_setup)):
        command.add_argument("--vosk-model", metavar="ARCHIVE_OR_URL",
                             help="install this Vosk model (zip/tar file or http(s) URL) as the transcription model")
        command.set_defaults(func=func)
    audit_cli.add_parser(sub)
    test = sub.add_parser("test", help="set up and run every test")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after `test` goes to pytest untouched, options included
        return cmd_test(argparse.Namespace(pytest_args=argv[1:]))
    args = parser.parse_args(argv)
    return int(args.func(args))
