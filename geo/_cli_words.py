"""Click's and Typer's own words ("Usage:", "Options", "Show this message and exit.") in
Bahasa Indonesia, for the ``siapwisata`` command line.

Typer (0.29) runs on its own copy of Click (``typer._click``) whose texts are plain English
literals, plus a few panel titles built with :func:`gettext.gettext` at import time; the
installed ``click`` marks its texts with ``gettext`` bound as ``_`` in each module. A gettext
catalogue would only apply through the process locale (``LANGUAGE``), which the CLI must not
depend on, so :func:`install` (called by :mod:`geo.cli` only):

- rebinds ``_``/``ngettext`` of the ``click`` modules to a lookup in :data:`WORDS`;
- replaces Typer's panel titles (``Options`` -> ``Opsi``) and the help option's text;
- prefixes the usage line with ``Penggunaan:`` and names ``[OPSI]``/``PERINTAH``;
- rewrites the messages of Typer's usage errors with :data:`MESSAGES` (regular expressions,
  because Typer formats them with f-strings).

An unknown text passes through unchanged (English rather than nothing).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any, Final

WORDS: Final[dict[str, str]] = {
    # help pages
    "Usage:": "Penggunaan:",
    "Options": "Opsi",
    "Arguments": "Argumen",
    "Commands": "Perintah",
    "Positional arguments": "Argumen posisi",
    "Show this message and exit.": "Tampilkan pesan ini lalu keluar.",
    "Show the version and exit.": "Tampilkan versi lalu keluar.",
    "%(prog)s, version %(version)s": "%(prog)s, versi %(version)s",
    "default: {default}": "bawaan: {default}",
    "[default: {}]": "[bawaan: {}]",
    "env var: {var}": "variabel lingkungan: {var}",
    "[env var: {}]": "[variabel lingkungan: {}]",
    "required": "wajib",
    "[required]": "[wajib]",
    "(dynamic)": "(dinamis)",
    "deprecated": "usang",
    "(deprecated) ": "(usang) ",
    # errors
    "Error": "Galat",
    "Error: {message}": "Galat: {message}",
    "Error: invalid input": "Galat: isian tidak sah",
    "Error: The two entered values do not match.": "Galat: kedua isian tidak sama.",
    "Aborted!": "Dibatalkan.",
    "Aborted.": "Dibatalkan.",
    "Missing command.": "Perintah belum diberikan.",
    "Missing argument": "Argumen belum diberikan",
    "Missing option": "Opsi belum diberikan",
    "Missing parameter": "Parameter belum diberikan",
    "Missing parameter: {param_name}": "Parameter belum diberikan: {param_name}",
    "Missing {param_type}": "{param_type} belum diberikan",
    "unknown error": "galat tidak dikenal",
    "Invalid value for {param_hint}: {message}": "Nilai tidak sah untuk {param_hint}: {message}",
    "Invalid value: {message}": "Nilai tidak sah: {message}",
    "No such option {name!r}.": "Opsi {name!r} tidak ada.",
    "No such command {name!r}.": "Perintah {name!r} tidak ada.",
    "Did you mean {possibility}?": "Mungkin maksudnya {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Mungkin maksudnya salah satu dari: "
                                               "{possibilities}?)",
    "Try '{command} {option}' for help.": "Coba '{command} {option}' untuk bantuan.",
    "Try [blue]'{command_path} {help_option}'[/] for help.":
        "Coba [blue]'{command_path} {help_option}'[/] untuk bantuan.",
    "Got unexpected extra argument ({args})": "Ada argumen lebih yang tidak dikenal ({args})",
    "Got unexpected extra arguments ({args})": "Ada argumen lebih yang tidak dikenal ({args})",
    "Option {name!r} does not take a value.": "Opsi {name!r} tidak menerima nilai.",
    "Option {name!r} requires an argument.": "Opsi {name!r} memerlukan nilai.",
    "Option {name!r} requires {nargs} arguments.": "Opsi {name!r} memerlukan {nargs} nilai.",
    "Argument {name!r} takes {nargs} values.": "Argumen {name!r} menerima {nargs} nilai.",
    "Takes {nargs} values but 1 was given.": "Menerima {nargs} nilai, tetapi diberi 1.",
    "Takes {nargs} values but {len} were given.": "Menerima {nargs} nilai, tetapi diberi {len}.",
    "Could not open file {filename!r}: {message}": "Berkas {filename!r} tidak bisa dibuka: "
                                                   "{message}",
    "Choose from:\n\t{choices}": "Pilih dari:\n\t{choices}",
    "{value!r} is not {choice}.": "{value!r} bukan {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} bukan salah satu dari {choices}.",
    "{value} is not in the range {range}.": "{value} di luar rentang {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} bukan {number_type} yang sah.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} bukan ya/tidak yang sah. Nilai yang dikenal: {states}",
    "{value!r} does not match the format {format}.": "{value!r} tidak sesuai format {format}.",
    "{value!r} does not match the formats {formats}.":
        "{value!r} tidak sesuai format {formats}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} tidak ada.",
    "{name} {filename!r} is a file.": "{name} {filename!r} adalah berkas.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} adalah folder.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} tidak bisa dibaca.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} tidak bisa ditulis.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} tidak bisa dijalankan.",
    "file": "berkas",
    "directory": "folder",
    "path": "jalur",
    # prompts
    "Repeat for confirmation": "Ulangi untuk konfirmasi",
    "Do you want to continue?": "Lanjutkan?",
    "Press any key to continue...": "Tekan sembarang tombol untuk melanjutkan...",
}
"""English text of Click/Typer -> the Indonesian the CLI shows."""

_GETTEXT_MODULES: Final = ("click.core", "click.decorators", "click.exceptions",
                           "click.formatting", "click.parser", "click.termui", "click.types",
                           "typer.core")
_RICH_CONSTANTS: Final = ("DEPRECATED_STRING", "DEFAULT_STRING", "ENVVAR_STRING",
                          "REQUIRED_LONG_STRING", "ARGUMENTS_PANEL_TITLE", "OPTIONS_PANEL_TITLE",
                          "COMMANDS_PANEL_TITLE", "ERRORS_PANEL_TITLE", "ABORTED_TEXT",
                          "RICH_HELP")


def translate(message: str) -> str:
    """The Indonesian of a Click/Typer text (the text itself when it has none)."""
    return WORDS.get(message, message)


def ntranslate(singular: str, plural: str, n: int) -> str:
    """:func:`gettext.ngettext` with :data:`WORDS` (Indonesian has no plural form)."""
    return translate(singular if n == 1 else plural)


MESSAGES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), repl) for pattern, repl in (
        (r"Value error, ", ""),
        (r"^Invalid value for (.+?): ", r"Nilai tidak sah untuk \1: "),
        (r"^Invalid value: ", "Nilai tidak sah: "),
        (r"^Missing option(.*?)\.", r"Opsi\1 wajib diisi."),
        (r"^Missing argument(.*?)\.", r"Argumen\1 wajib diisi."),
        (r"^Missing parameter:? ?(.*?)\.?$", r"Parameter \1 wajib diisi."),
        (r"^No such option: ", "Opsi tidak dikenal: "),
        (r"\(Possible options: ", "(opsi yang ada: "),
        (r"Did you mean (.*?)\?", r"Mungkin maksudnya \1?"),
        (r"^Got unexpected extra argument\(s\) ", "Argumen berlebih "),
        (r"(.+?) is not one of (.+)\.$", r"\1 bukan salah satu dari \2."),
        (r"Input should be a valid integer.*$", "harus bilangan bulat"),
        (r"Input should be a valid number.*$", "harus angka"),
        (r"Input should be a valid boolean.*$", "harus ya/tidak (true/false)"),
        (r"^Value (.+?) is not a valid (.+?)\.$", r"Nilai \1 tidak sah (\2)."),
        (r"^(File|Directory|Path) (.+?) does not exist\.$", r"\2 tidak ada."),
        (r"^(File|Directory|Path) (.+?) is a file\.$", r"\2 adalah berkas, bukan folder."),
        (r"^(File|Directory|Path) (.+?) is a directory\.$", r"\2 adalah folder, bukan berkas."),
        (r"^(File|Directory|Path) (.+?) is not readable\.$", r"\2 tidak bisa dibaca."),
        (r"^(File|Directory|Path) (.+?) is not writable\.$", r"\2 tidak bisa ditulis."),
        (r"^Could not open file (.+?): ", r"Berkas \1 tidak bisa dibuka: "),
        (r"^Choose from:", "Pilih dari:"),
    )
)
"""Typer's usage-error messages (f-strings in ``typer._click``) -> Indonesian."""

_USAGE_WORDS: Final = (("[OPTIONS]", "[OPSI]"), ("COMMAND [ARGS]...", "PERINTAH [ARGUMEN]..."))
_HELP_OPTION: Final = "Tampilkan pesan ini lalu keluar."


def translate_message(message: str) -> str:
    """A Typer usage-error message in Indonesian (unchanged when no pattern matches)."""
    for pattern, repl in MESSAGES:
        message = pattern.sub(repl, message)
    return message


def _translated(method: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return translate_message(method(*args, **kwargs))

    wrapper.__siap_translated__ = True  # type: ignore[attr-defined]
    return wrapper


def _install_typer() -> None:
    """Typer's own copy of Click: help option, usage line and usage errors."""
    decorators = importlib.import_module("typer._click.decorators")
    formatting = importlib.import_module("typer._click.formatting")
    exceptions = importlib.import_module("typer._click.exceptions")
    if getattr(decorators, "__siap_translated__", False):
        return
    original_help = decorators.help_option

    def help_option(param_decls: list[str]) -> Callable[[Any], Any]:
        decorate = original_help(param_decls)

        def apply(command: Any) -> Any:
            command = decorate(command)
            command.params[-1].help = _HELP_OPTION
            return command

        return apply

    setattr(decorators, "help_option", help_option)  # noqa: B010 (a module, not typed)
    write_usage = formatting.HelpFormatter.write_usage

    def write_usage_id(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, indonesian in _USAGE_WORDS:
            args = args.replace(english, indonesian)
        write_usage(self, prog, args, "Penggunaan: " if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage_id
    for value in vars(exceptions).values():
        if isinstance(value, type) and "format_message" in vars(value):
            setattr(value, "format_message", _translated(vars(value)["format_message"]))  # noqa: B010
    setattr(decorators, "__siap_translated__", True)  # noqa: B010


def install() -> None:
    """Make Click and Typer speak Indonesian in this process (idempotent)."""
    _install_typer()
    for name in _GETTEXT_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ntranslate  # type: ignore[attr-defined]
    rich_utils = importlib.import_module("typer.rich_utils")
    for const in _RICH_CONSTANTS:
        value = getattr(rich_utils, const, None)
        if isinstance(value, str):
            setattr(rich_utils, const, translate(_ENGLISH.get(value, value)))


# The English originals of the Typer constants, so that install() stays idempotent after it
# replaced them (a second call looks the Indonesian up and finds the English again).
_ENGLISH: Final[dict[str, str]] = {v: k for k, v in WORDS.items()}
