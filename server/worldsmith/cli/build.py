"""`worldsmith build`: the command, its progress display and its summary; in-process builds run on the assembled services."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from worldsmith.assets.build import Builder, EntryOutcome, RemoteCaller
from worldsmith.assets.manifest import ManifestError, load_manifest
from worldsmith.cli.in_process import InProcessCaller, started_services
from worldsmith.cli.shared import ConfigOption, console, settings_or_exit
from worldsmith.config import Settings
from worldsmith.runtime.context import Lane


def build(
    manifest: Path = typer.Argument(Path("assets.toml"), help="Build manifest."),
    config: Optional[Path] = ConfigOption,
    server: Optional[str] = typer.Option(None, "--server", help="HOST:PORT of a running server (batch lane) instead of in-process."),
    key: Optional[str] = typer.Option(None, "--key", envvar="WORLDSMITH_API_KEY", help="Editor key for --server."),
    check: bool = typer.Option(False, "--check", help="Generate nothing; exit 1 naming entries whose outputs differ from the lock."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Entries generated at once (default: the manifest's build.parallel)."),
) -> None:
    """Generate every entry of an asset manifest; only entries whose recipe changed are rebuilt."""
    settings = None if server else settings_or_exit(config)
    raise typer.Exit(asyncio.run(run_build(manifest, settings, server, key, check, jobs, console)))


class Display:
    """One line per running entry and an overall bar on a terminal; plain log lines elsewhere."""

    def __init__(self, console: Console, total: int):
        self.console = console
        self.live = console.is_terminal
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)
        self._overall = self._progress.add_task("build", total=total)
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        if self.live:
            self._progress.start()
        return self

    def __exit__(self, *exc):
        if self.live:
            self._progress.stop()

    def update(self, name: str, stage: str, step: int, total: int) -> None:
        if not self.live:
            if stage in ("starting", "done", "failed"):
                self.console.print(f"{name}: {stage}", highlight=False, soft_wrap=True)
            return
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = self._progress.add_task(name, total=None)
        if stage in ("done", "failed"):
            self._progress.remove_task(task)
            self._progress.advance(self._overall)
            return
        self._progress.update(task, description=f"{name} [dim]{stage}[/dim]", completed=step, total=total or None)


def _summary(console: Console, outcomes: list[EntryOutcome]) -> int:
    built = [o for o in outcomes if o.status == "built"]
    fresh = [o for o in outcomes if o.status == "up to date"]
    failed = [o for o in outcomes if o.status == "failed"]
    console.print(f"{len(built)} built, {len(fresh)} up to date, {len(failed)} failed", highlight=False, soft_wrap=True)
    for outcome in failed:
        console.print(f"  [red]failed[/red] {outcome.name}: {outcome.reason}", highlight=False, soft_wrap=True)
    return 1 if failed else 0


async def run_build(manifest_path: Path, settings: Settings | None, server: str | None, key: str | None,
                    check: bool, jobs: int | None, console: Console) -> int:
    try:
        manifest = load_manifest(manifest_path)
    except ManifestError as error:
        console.print(f"[red]invalid manifest[/red]\n{error}", highlight=False, soft_wrap=True)
        return 2

    async with contextlib.AsyncExitStack() as stack:
        if server:
            caller = RemoteCaller(server, key)
            stack.push_async_callback(caller.close)
        else:
            services = await stack.enter_async_context(started_services(settings))
            caller = InProcessCaller(services, Lane.BATCH)

        builder = Builder(manifest, caller, jobs)
        problems = await builder.prepare()
        if problems:
            console.print("[red]invalid manifest[/red]\n" + "\n".join(f"{manifest.path.name}:{line}: {message}" for line, message in problems), highlight=False, soft_wrap=True)
            return 2
        if check:
            stale = builder.stale()
            for name, reasons in stale.items():
                console.print(f"[red]out of date[/red] {name}: {'; '.join(reasons)}", highlight=False, soft_wrap=True)
            if not stale:
                console.print(f"all {len(manifest.entries)} entries match {manifest.lock_path.name}")
            return 1 if stale else 0
        with Display(console, len(manifest.entries)) as display:
            outcomes = await builder.build(display.update)
        return _summary(console, outcomes)
