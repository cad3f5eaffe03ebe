"""The `baton` command. Each command's module is imported only when that command runs (or
shows its own help), so `baton --help` and `baton --version` import little but typer.

To add a command or a group, add ONE line to the registry below (nothing else here):

    lazy("users", "api.users.commands:users_app", "People and their API keys.")

The target is "module:attribute": a `typer.Typer` (a group of commands) or a function (one
command, as `app.command()` would take it). The help given here is what `baton --help`
lists, so keep it to one line; the command's own docstring is its `baton NAME --help`.
Keep the command module's top-level imports light (import the app, the demo corpus, the
extractors inside the function that needs them), so `baton NAME --help` stays fast too.

The CLI calls services, never routers; each command opens its own unit of work.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

# name -> ("module:attribute", one-line help), in the order `baton --help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {}


def lazy(name: str, target: str, help: str) -> None:
    """Register `baton NAME`, imported from `target` ("module:attribute") when used."""
    COMMANDS[name] = (target, help)


lazy("serve", "api.serving:serve", "Migrate the database, then serve the API.")
lazy("demo", "api.demo.commands:demo", "Load the demo library into an empty catalogue.")
lazy("ingest", "api.imports.commands:ingest", "Import documents (files and folders) in bulk.")
lazy("reindex", "api.discovery.commands:reindex", "Rebuild the search index from the catalogue.")
lazy("check", "api.maintenance:check", "Check that catalogue, blobs and search index agree.")
lazy("db", "api.maintenance:db_app", "The catalogue database's schema (migrations).")
lazy("users", "api.users.commands:users_app", "People and their API keys.")
lazy("audiences", "api.audiences.commands:audiences_app", "Audiences and who belongs to them.")
lazy("report", "api.reports.commands:report_app", "Reports for marketing, without a server.")
lazy("backup", "api.backup.commands:backup", "Back up catalogue and files while the server runs.")
lazy("restore", "api.backup.commands:restore", "Restore a backup into an empty installation.")
lazy("blobs", "api.backup.commands:blobs_app", "The blob store: remove files no asset names.")
lazy(
    "notifications",
    "api.notifications.commands:notifications_app",
    "Webhooks, reminders and digests: run a round of the worker.",
)


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """typer 0.29 shows `--demo <bool>`, which reads as if the flag took a value: a flag
    (and `--help`) shows no type in the help."""
    return None if self.is_flag or self.count else _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


class _Listed(TyperCommand):
    """Stands for a registered command in `baton --help` until the command is used."""


def _load(name: str) -> Any:
    """The click command for `baton NAME`, importing its module now."""
    target, help_text = COMMANDS[name]
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        if found.info.help is None:
            found.info.help = help_text
        return typer.main.get_group(found)
    single = typer.Typer(add_completion=False)
    single.command(name)(found)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """A typer group whose registered commands are imported on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.listing = False
        for name, (_, help_text) in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name, help=help_text, short_help=help_text))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Listed) and not self.listing:
            command = self.commands[cmd_name] = _load(cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True  # list the one-line helps without importing any command
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="baton",
    cls=LazyGroup,
    help="Baton, the sales enablement content hub.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"baton {version('baton')}")
        except PackageNotFoundError:
            print("baton (not installed: run `make install`)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Baton, the sales enablement content hub.

    Settings come from BATON_ environment variables and a .env file in the working
    directory (or the file BATON_ENV_FILE names); see README.md."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
