"""``llmops config …``: register, list, show, diff and promote agent config versions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from llmops._cli._render import print_error
from llmops._errors import LlmopsError

if TYPE_CHECKING:
    from llmops._registry import ConfigRegistry

app = typer.Typer(help="Version agent configs in MLflow.", no_args_is_help=True)
console = Console()


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None


def _registry() -> ConfigRegistry:
    from llmops._registry import configs

    return configs()


@app.command()
def register(
    path: Annotated[Path, typer.Argument(help="A YAML or TOML agent config file.")],
    alias: Annotated[list[str] | None, typer.Option(help="Also point this alias at it.")] = None,
) -> None:
    """Register a config file as a version (the same content returns the existing version)."""
    from llmops._agentconfig import AgentConfig

    with _user_errors():
        config = AgentConfig.from_file(path)
        version = _registry().register(config, aliases=tuple(alias or ()))
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    console.print(
        f"registered [bold]{version.ref}[/bold] as MLflow version {version.mlflow_version}{aliases}"
    )


@app.command("list")
def list_versions(
    name: Annotated[str | None, typer.Argument(help="A config name.")] = None,
) -> None:
    """List configs, or the versions of one config."""
    with _user_errors():
        registry = _registry()
        names = [name] if name else registry.names()
        table = Table(title="agent configs")
        for column in ("name", "version", "mlflow", "aliases", "registered"):
            table.add_column(column)
        for config_name in names:
            versions = registry.versions(config_name)
            if name and not versions:
                raise LlmopsError(f"no config named {name!r}")
            for v in versions:
                table.add_row(
                    v.name,
                    v.short_version,
                    str(v.mlflow_version),
                    ", ".join(v.aliases),
                    v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                )
    console.print(table)


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS, NAME@VERSION or NAME.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print one config version."""
    import yaml

    with _user_errors():
        config = _registry().get(ref)
    console.print(f"# {config.name}@{config.version}", highlight=False)
    data = config.model_dump(mode="json")
    if as_json:
        typer.echo(config.model_dump_json(indent=2))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="NAME@REF (the old version).")],
    b: Annotated[str, typer.Argument(help="NAME@REF (the new version).")],
) -> None:
    """Show what changed between two versions: params old → new, prompts as text diffs."""
    with _user_errors():
        result = _registry().diff(a, b)
    if result.identical:
        console.print(f"{result.a} and {result.b} are identical")
        return
    console.print(
        f"[bold]--- {escape(str(result.a))}[/bold]\n[bold]+++ {escape(str(result.b))}[/bold]",
        highlight=False,
    )
    for change in result.changes:
        console.print(
            f"  {escape(change.path)}: [red]{escape(repr(change.old))}[/red] → "
            f"[green]{escape(repr(change.new))}[/green]",
            highlight=False,
        )
    for name, text in result.prompts.items():
        console.print(f"  [bold]prompts.{escape(name)}[/bold]")
        for line in text.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan"
            console.print(Text(f"    {line}", style=style))


@app.command()
def promote(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION to promote.")],
    to: Annotated[str, typer.Option("--to", help="The alias to move.")] = "production",
) -> None:
    """Point an alias (default production) at a version; prints the previous holder."""
    with _user_errors():
        registry = _registry()
        previous = registry.promote(ref, to=to)
        current = registry.resolve(f"{ref.partition('@')[0]}@{to}")
    before = previous.ref if previous else "nobody"
    console.print(f"{to}: {before} → [bold]{current.ref}[/bold]", highlight=False)
