"""`manage.py bench_pages [--scale 1]`: the public pages benchmark of issue 16
(demo/bench_pages.py says what it builds and how it measures)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import bench_pages


class Command(BaseCommand):
    help = (
        "Build a fund's volume in a database of its own, serve it with gunicorn on "
        "loopback and print each public page's requests per second (uncached and "
        "cached) as ratios to a hello-world view and a 20-row template page, its "
        "p50/p99, the server's CPU time per request, queries and size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=0.02,
            help="times the issue's volume (1: 68 000 receipts; the default is quick)",
        )
        parser.add_argument("--seconds", type=float, default=3.0, help="per page and mode")
        parser.add_argument("--connections", type=int, default=4, help="concurrent requests")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
        parser.add_argument("--port", type=int, default=0, help="loopback port (0: any free)")
        parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
        parser.add_argument(
            "--rounds",
            type=int,
            default=3,
            help="times each page is measured, each time beside the baselines (default: 3)",
        )
        parser.add_argument(
            "--compare-with",
            default="",
            metavar="DATABASE_URL",
            help="another filled volume (such as --scale 10), measured in the same rounds; "
            "prints how far each page's ratios moved (bar: within 20 %%)",
        )
        parser.add_argument(
            "--fill-only",
            action="store_true",
            help="fill the configured database (empty, migrated) at --scale, measure nothing",
        )
        parser.add_argument(
            "--filled",
            action="store_true",
            help="measure the configured database, filled by --fill-only, instead of building one",
        )
        # The child that fills the new database (and counts queries) runs with this.
        parser.add_argument("--inner", action="store_true", help="internal")

    def handle(self, *args: Any, **options: Any) -> None:
        if (
            options["scale"] <= 0
            or options["seconds"] <= 0
            or options["connections"] < 1
            or options["rounds"] < 1
        ):
            raise CommandError(
                "--scale and --seconds must be positive, --connections and --rounds at least 1."
            )
        try:
            if options["inner"]:
                self.stdout.write(
                    bench_pages.inner(
                        options["scale"], report=self.stdout.write, filled=options["filled"]
                    )
                )
                return
            if options["fill_only"]:
                self.stdout.write(bench_pages.fill_only(options["scale"], report=self.stdout.write))
                return
            volumes = bench_pages.run(
                bench_pages.Options(
                    scale=options["scale"],
                    seconds=options["seconds"],
                    connections=options["connections"],
                    workers=options["workers"],
                    port=options["port"],
                    client=options["client"],
                    filled=options["filled"],
                    rounds=options["rounds"],
                    compare_with=options["compare_with"],
                ),
                report=self.stdout.write,
            )
        except bench_pages.BenchError as exc:
            raise CommandError(str(exc)) from exc
        for line in bench_pages.printed(volumes):
            self.stdout.write(line)
