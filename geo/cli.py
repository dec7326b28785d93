"""The ``siapwisata`` command line (typer). A contract: other work calls these exactly.

Every user error is a :class:`~geo.exceptions.SiapError`, printed without a traceback,
with exit code 1. Set ``SIAPWISATA_DEBUG=1`` to see tracebacks of unexpected errors.

Data never goes through rich console markup: names, paths and messages can hold ``[``
(``Pantai [/b] tutup``), so they are printed as :class:`rich.text.Text` (styled only by
the fixed labels around them), never as markup strings.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol, cast

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from geo import fmt
from geo._cli_words import install as _install_cli_words
from geo._progress import RichReporter
from geo.exceptions import InputError, SiapError
from geo.io.workspace import Workspace

if TYPE_CHECKING:  # imported where used: the command line starts without them
    from geo.readiness import ScoreResult

_install_cli_words()  # Click's and Typer's own words ("Usage:", "Options") in Indonesian

app = typer.Typer(
    name="siapwisata",
    help="SIAP Wisata: kesiapan destinasi wisata lintas OPD.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace: berkas GeoPackage (.gpkg)", show_default=False)
]
ReadinessOpt = Annotated[Path | None, typer.Option(
    "--readiness-config", help="TOML indikator kesiapan (variabel lingkungan SIAPWISATA_READINESS_CONFIG)")]
NetworkOpt = Annotated[Path | None, typer.Option(
    "--network-config", help="TOML jaringan dan kecepatan (bawaan: data/network.toml)")]
PrioritiesOpt = Annotated[Path | None, typer.Option(
    "--config", help="TOML prioritas: pilihan peningkatan, biaya satuan, bobot "
                     "(variabel lingkungan SIAPWISATA_PRIORITIES_CONFIG)")]


def _cores() -> AbstractContextManager[int]:
    """Let a command's computation fork one process per core (setting ``workers``); the
    API never enters this, so it computes in one process."""
    from geo._parallel import workers
    from geo.settings import get_settings

    return workers(get_settings().workers)


def _say(text: str, style: str = "", *, console: Console = out) -> None:
    """Print text as it is: no markup, no emoji codes, no highlighting."""
    console.print(Text(str(text), style=style), soft_wrap=True)


def _wrote(path: Path | str, what: str) -> None:
    out.print(Text.assemble(("Ditulis", "green"), f" {what}: ", (str(path), "bold")),
              soft_wrap=True)


def _budget(text: str | None) -> float | None:
    """``--budget`` as officers type it ("20 miliar", "Rp 20.000.000.000"), in rupiah."""
    from geo.exceptions import Problem

    if text is None:
        return None
    try:
        return fmt.parse_rupiah(text)
    except fmt.RupiahError as exc:
        raise InputError([Problem("--budget", f"anggaran {exc}")]) from None


def _row(*cells: object) -> list[Text]:
    """Table cells as plain text (a rich Table would parse str cells as markup)."""
    return [Text(str(c)) for c in cells]


@app.command()
def init(
    boundary: Annotated[Path, typer.Option(help="Batas wilayah (GeoJSON, GPKG, SHP)")],
    workspace: WorkspaceOpt,
    name: Annotated[str | None, typer.Option(help="Nama wilayah")] = None,
    admin: Annotated[Path | None, typer.Option(help="Poligon distrik/kampung")] = None,
) -> None:
    """Buat workspace dari batas wilayah (dan, bila ada, wilayah administrasi)."""
    from geo.steps.init import init_workspace

    ws = Workspace(workspace)
    init_workspace(ws, boundary, name=name, admin=admin, reporter=RichReporter())
    _wrote(ws.path, "workspace")


@app.command("ingest-osm")
def ingest_osm(
    file: Annotated[Path, typer.Argument(help=".osm.pbf, .osm atau .osm.bz2", metavar="BERKAS")],
    workspace: WorkspaceOpt,
) -> None:
    """Baca ekstrak OSM (bertahap) menjadi jalan, titik minat, destinasi, UMKM dan gerbang."""
    from geo.steps.ingest import ingest_osm as run

    ws = Workspace(workspace)
    with _cores():
        counts = run(file, ws, reporter=RichReporter())
    _print_counts(counts)
    _wrote(ws.path, "workspace")


@app.command("fetch-osm")
def fetch_osm(
    workspace: WorkspaceOpt,
    overpass_url: Annotated[str | None, typer.Option(help="Alamat API Overpass")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Folder cache jawaban Overpass")] = None,
) -> None:
    """Unduh data OSM untuk batas workspace dari Overpass (lewat osmnx, disimpan di cache)."""
    from geo.settings import get_settings
    from geo.steps.ingest import fetch_osm as run

    settings = get_settings(overpass_url=overpass_url, cache_dir=cache_dir)
    ws = Workspace(workspace)
    with _cores():
        counts = run(ws, settings=settings, reporter=RichReporter())
    _print_counts(counts)
    _wrote(ws.path, "workspace")


class ImportKind(StrEnum):
    destinations = "destinations"
    umkm = "umkm"
    gateways = "gateways"
    road_conditions = "road-conditions"


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(help="Isi berkas", metavar="JENIS")],
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, GeoJSON atau GeoPackage", metavar="BERKAS")],
    workspace: WorkspaceOpt,
    errors: Annotated[Path | None, typer.Option(
        "--errors", help="Tulis semua masalah yang ditemukan ke .csv ini (pesan hanya menampilkan "
                         "beberapa masalah pertama tiap jenis)")] = None,
) -> None:
    """Impor berkas data OPD ke workspace; setiap baris diperiksa."""
    from geo.io import check_out_path, write_problems
    from geo.steps.contribute import import_recorded

    errors_path = check_out_path(errors, (".csv",))
    ws = Workspace(workspace)
    try:
        # recorded as a version (actor "cli") and marks the scores stale for the server
        summary, _ = import_recorded(kind.value, file, ws, reporter=RichReporter())
    except InputError as exc:
        if errors_path is not None:
            write_problems(exc, errors_path)
            _say(f"Daftar masalah lengkap ditulis ke {errors_path}", console=err)
        raise
    if errors_path is not None:
        write_problems(InputError([]), errors_path)  # no problems: an empty list, not a stale one
    for line in summary.lines():
        _say(line)
    _wrote(ws.path, f"layer '{summary.layer}'")


class FormKind(StrEnum):
    jalan = "jalan"
    umkm = "umkm"
    destinasi = "destinasi"


@app.command("form")
def form_(
    kind: Annotated[FormKind, typer.Argument(help="Formulir apa: jalan (PU), umkm, destinasi")],
    out_file: Annotated[Path, typer.Option("--out", help="Berkas XLSForm .xlsx yang ditulis")],
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Workspace: ruas jalan dan kampung menjadi pilihan",
        show_default=False)] = None,
) -> None:
    """Tulis formulir lapangan XLSForm (ODK Collect / KoboCollect) berkolom sama dengan impor."""
    from geo.steps.forms import write_field_form

    ws = Workspace(workspace) if workspace is not None else None
    form = write_field_form(kind.value, out_file, ws)
    _say(f"{form.title}: {len(form.questions())} pertanyaan, versi {form.version}")
    for q in form.questions():
        if q.choices and q.name in ("ruas_id", "kode_kampung"):
            _say(f"  {len(q.choices)} pilihan {q.name} dari workspace")
    _say("Unggah ke ODK Central atau KoboToolbox; hasil ekspor CSV/XLSX dibaca langsung oleh "
         f"'siapwisata import {form.import_kind}'")
    _wrote(out_file, "XLSForm")


@app.command()
def demo(
    workspace: WorkspaceOpt,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder data bersama yang berisi mimika/ "
                                       "(variabel lingkungan SIAPWISATA_DATA_DIR; bawaan: "
                                       "shared/data pertama di folder kerja atau induknya)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Benih acak pembangkit data sintetis")] = 20240517,
) -> None:
    """Bangun workspace contoh Mimika: batas dan gerbang nyata; jalan, destinasi, UMKM SINTETIS."""
    from geo.settings import get_settings
    from geo.steps.demo import build_demo

    settings = get_settings(data_dir=data_dir)
    ws = Workspace(workspace)
    build_demo(ws, data_dir=settings.require_data_dir(), seed=seed, reporter=RichReporter())
    _wrote(ws.path, "workspace contoh (DATA CONTOH: jalan, destinasi dan UMKM SINTETIS)")
    _print_info(ws)


@app.command()
def info(workspace: WorkspaceOpt) -> None:
    """Layer, jumlah fitur, sumber data, dan apakah ada data sintetis."""
    _print_info(Workspace(workspace))


@app.command()
def score(
    workspace: WorkspaceOpt,
    config: Annotated[Path | None, typer.Option(help="TOML indikator kesiapan")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Tulis juga .csv, .geojson atau .xlsx")
    ] = None,
    network_config: NetworkOpt = None,
) -> None:
    """Nilai kesiapan setiap destinasi per OPD dan sebutkan penghambatnya."""
    from geo.steps.readiness import score_workspace

    ws = Workspace(workspace)
    with _cores():
        result = score_workspace(ws, config=config, out=out_file, reporter=RichReporter(),
                                 network_config=network_config)
    _say(result.summary())
    _wrote(ws.path, "layer 'scores'")
    if out_file is not None:
        _wrote(out_file, "skor")


class AuthorityChoice(StrEnum):
    kabupaten = "kabupaten"
    provinsi = "provinsi"
    nasional = "nasional"
    all = "all"


@app.command()
def priorities(
    workspace: WorkspaceOpt,
    budget: Annotated[str | None, typer.Option(
        help="Anggaran dalam rupiah, mis. '20 miliar', '20 M', '20.000.000.000' atau "
             "'Rp 20.000.000.000'", show_default=False)] = None,
    authority: Annotated[AuthorityChoice, typer.Option(
        help="Kewenangan jalan (all = semua kewenangan)")] = (
        AuthorityChoice.kabupaten
    ),
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Tulis juga .csv, .xlsx atau .gpkg")
    ] = None,
    config: PrioritiesOpt = None,
    readiness_config: ReadinessOpt = None,
    network_config: NetworkOpt = None,
    with_score: Annotated[bool, typer.Option(
        "--with-score",
        help="Nilai juga kesiapan (layer 'scores', dengan --readiness-config) dalam jalan "
             "yang sama: hasilnya sama dengan 'score' lalu 'priorities', dengan satu "
             "perhitungan aksesibilitas untuk keduanya")] = False,
) -> None:
    """Urutkan peningkatan ruas jalan menurut manfaat kesiapan per rupiah, untuk PU."""
    from geo.steps.priorities import priorities_workspace, score_and_priorities_workspace

    ws = Workspace(workspace)
    scores: ScoreResult | None = None
    with _cores():
        if with_score:
            scores, result = score_and_priorities_workspace(
                ws, budget=_budget(budget), authority=authority.value, out=out_file,
                reporter=RichReporter(), config=config, readiness_config=readiness_config,
                network_config=network_config)
        else:
            result = priorities_workspace(
                ws, budget=_budget(budget), authority=authority.value, out=out_file,
                reporter=RichReporter(), config=config, readiness_config=readiness_config,
                network_config=network_config,
            )
    if scores is not None:
        _say(scores.summary())
        _wrote(ws.path, "layer 'scores'")
    _say(result.summary())
    _wrote(ws.path, "layer 'priorities'")
    if out_file is not None:
        _wrote(out_file, "prioritas")


@app.command()
def scenario(
    workspace: WorkspaceOpt,
    what_if: Annotated[Path, typer.Option("--what-if", help="Rencana pekerjaan jalan (CSV/XLSX/GPKG)")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Tabel sebelum/sesudah")] = None,
    config: PrioritiesOpt = None,
    readiness_config: ReadinessOpt = None,
    network_config: NetworkOpt = None,
) -> None:
    """Terapkan rencana pekerjaan jalan dan laporkan skor sebelum dan sesudahnya."""
    from geo.steps.priorities import scenario_workspace

    ws = Workspace(workspace)
    with _cores():
        result = scenario_workspace(ws, what_if, out=out_file, reporter=RichReporter(),
                                    config=config, readiness_config=readiness_config,
                                    network_config=network_config)
    _say(result.summary())
    if out_file is not None:
        _wrote(out_file, "skenario")


class ReportKind(StrEnum):
    destinasi = "destinasi"
    distrik = "distrik"
    opd = "opd"
    prioritas = "prioritas"


@app.command()
def report(
    kind: Annotated[ReportKind, typer.Argument(help="Jenis laporan")],
    workspace: WorkspaceOpt,
    out_file: Annotated[Path, typer.Option("--out", help="File PDF yang ditulis (.pdf)",
                                           show_default=False)],
    id: Annotated[str | None, typer.Option(
        "--id", help="destinasi: id destinasi (DST-001); distrik: nama atau kode Kemendagri "
                     "(Mimika Baru, 94.04.01); opd: kunci OPD di readiness.toml (pu); "
                     "prioritas: tidak perlu")] = None,
    budget: Annotated[str | None, typer.Option(
        help="prioritas: anggaran, mis. '20 miliar', '20 M' atau 'Rp 20.000.000.000' "
             "(bawaan: yang tersimpan di layer priorities)")] = None,
    authority: Annotated[AuthorityChoice | None, typer.Option(
        help="prioritas: kewenangan jalan (bawaan: yang tersimpan)")] = None,
) -> None:
    """Tulis laporan PDF siap cetak: destinasi (satu halaman), distrik, OPD, atau program
    jalan (prioritas)."""
    from geo.fmt import RupiahError, parse_rupiah
    from geo.report import write_report

    try:
        amount = None if budget is None else parse_rupiah(budget)
    except RupiahError as exc:
        raise SiapError(f"--budget: {exc}") from None
    ws = Workspace(workspace)
    result = write_report(kind.value, ws, out_file, id, budget=amount,
                          authority=authority.value if authority else None)
    _wrote(out_file, f"laporan {kind.value} PDF ({len(result.pdf) / 1024:.0f} KB)")


@app.command()
def serve(
    workspace: WorkspaceOpt,
    host: Annotated[str, typer.Option(help="Alamat antarmuka yang didengarkan")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Nomor port")] = 8000,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host",
        help="Nama host atau alamat yang dipakai peramban untuk mencapai server ini, selain "
             "127.0.0.1, localhost dan --host (boleh diulang; juga SIAPWISATA_ALLOWED_HOSTS)",
    )] = None,
    public_read: Annotated[bool, typer.Option(
        "--public-read",
        help="Halaman, peta dan API boleh dibaca tanpa masuk juga saat server mendengarkan "
             "alamat selain 127.0.0.1 (mengubah data selalu perlu masuk)",
    )] = False,
    tiles: Annotated[Path | None, typer.Option(
        "--tiles",
        help="Berkas peta dasar lokal (.mbtiles atau .pmtiles, raster atau vektor) yang "
             "tampil di bawah peta sebagai 'Peta dasar lokal', untuk kantor tanpa internet "
             "(juga SIAPWISATA_TILES_FILE)",
    )] = None,
) -> None:
    """Jalankan server peta dan API untuk sebuah workspace."""
    # The web layer sits on top of geo: looked up by name, never imported by geo itself.
    server = cast(_Server, importlib.import_module("api.server"))
    server.run(workspace, host=host, port=port, allow_host=allow_host or [],
               public_read=public_read, tiles=tiles, say=_say,
               warn=lambda text: err.print(text, markup=False, highlight=False))


@app.command()
def batch(
    regions: Annotated[Path, typer.Option(
        "--regions", help="CSV daftar wilayah: nama, kode (Kemendagri), osm, batas (opsional) "
                          "dan berkas OPD (opsional: destinasi, umkm, gerbang, kondisi_jalan)",
        show_default=False)],
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder hasil: satu folder per wilayah, ringkasan.gpkg dan ringkasan.csv",
        show_default=False)],
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Alamat scheduler Dask (tcp://host:8786); tanpa ini, klaster "
                            "lokal di mesin ini")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Jumlah proses pekerja klaster lokal (bawaan: jumlah CPU, maks. 4)",
        min=1)] = None,
    authority: Annotated[AuthorityChoice, typer.Option(
        help="Kewenangan jalan untuk prioritas")] = AuthorityChoice.all,
) -> None:
    """Banyak wilayah sekaligus di Dask: ingest, skor dan prioritas per wilayah, lalu ringkasan."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from geo.steps.batch import Outcome, read_regions, run_batch

    todo = read_regions(regions)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=out, transient=False) as bar:
        task = bar.add_task("wilayah", total=None)

        def started(link: str | None, count: int) -> None:
            bar.update(task, total=count)
            if link:
                bar.console.print(Text.assemble("Dasbor Dask: ", (link, "bold")))

        def done(outcome: Outcome) -> None:
            bar.advance(task)
            name = f"{outcome.region.name} ({outcome.region.code})"
            if outcome.status == "gagal":
                bar.console.print(Text.assemble(("gagal", "red"), f" {name}: {outcome.message}"))
            else:
                bar.console.print(Text.assemble(("selesai", "green"), f" {name}"))

        result = run_batch(todo, out_dir, scheduler=scheduler, workers=workers,
                           authority=authority.value, on_start=started, on_done=done)
    skipped = [o for o in result.outcomes if o.status == "dilewati"]
    if skipped:
        _say(f"{len(skipped)} wilayah dilewati: sudah selesai dengan masukan yang sama")
    _wrote(result.summary_gpkg, "ringkasan (layer 'regions')")
    _wrote(result.summary_csv, "ringkasan")
    if result.failed:
        _say(f"{len(result.failed)} dari {len(result.outcomes)} wilayah gagal", "red",
             console=err)
        raise typer.Exit(1)


class _Server(Protocol):
    """What ``serve`` needs of :mod:`api.server`."""

    def run(self, workspace: Path, *, host: str, port: int, allow_host: Sequence[str],
            public_read: bool, tiles: Path | None, say: Callable[[str], None],
            warn: Callable[[str], None]) -> None: ...


# --- accounts (issue 12) --------------------------------------------------------------

user_app = typer.Typer(
    help="Akun instansi (OPD) untuk masuk ke server: tambah, daftar, token API, ganti kata "
         "sandi, nonaktifkan. Disimpan di workspace (hash argon2).",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")

UsernameOpt = Annotated[str, typer.Option("--username", "-u", help="Nama akun (username)",
                                          show_default=False)]
GenerateOpt = Annotated[bool, typer.Option(
    "--generate", help="Buat kata sandi acak dan cetak sekali (simpan segera)")]


class RoleChoice(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"


def _new_password(generate: bool) -> str:
    """The new password: generated, prompted for twice (terminal), or the first line of
    standard input (piped, for scripts). Never echoed, never an argument (a password on
    the command line would stay in the shell history and the process list)."""
    from geo.exceptions import Problem
    from geo.steps.accounts import generate_password

    if generate:
        return generate_password()
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError([Problem("stdin", "tidak ada kata sandi di standard input "
                                               "(baris pertama kosong)", field="password")])
        return line
    for _ in range(3):
        first = typer.prompt("Kata sandi baru", hide_input=True)
        second = typer.prompt("Ulangi kata sandi", hide_input=True)
        if first == second:
            return str(first)
        _say("Kedua kata sandi tidak sama; ulangi.", "yellow", console=err)
    raise InputError([Problem("terminal", "kedua kata sandi tidak sama tiga kali; tidak ada "
                                          "yang diubah", field="password")])


def _show_generated(password: str) -> None:
    out.print(Text.assemble(("Kata sandi", "bold"), " (dicetak sekali ini saja; simpan "
                            "sekarang dan berikan lewat jalur aman): "), soft_wrap=True)
    _say(password)


@user_app.command("add")
def user_add(
    workspace: WorkspaceOpt,
    username: UsernameOpt,
    agency: Annotated[str, typer.Option(
        help="Instansi: kunci dimensi di readiness.toml (pariwisata, pu, umkm, kominfo, "
             "perhubungan) atau instansi admin (bappeda)", show_default=False)],
    role: Annotated[RoleChoice, typer.Option(
        help="viewer (membaca), editor (mengubah data instansinya), admin (Bappeda)")]
    = RoleChoice.viewer,
    generate: GenerateOpt = False,
) -> None:
    """Tambah akun. Kata sandi diminta dua kali, dibaca dari stdin bila disalurkan,
    atau dibuat acak dengan --generate."""
    from geo.steps import workspace_readiness_config
    from geo.steps.accounts import add_user

    ws = Workspace(workspace).require()
    config = workspace_readiness_config(ws)[0]
    password = _new_password(generate)
    user = add_user(ws, username, agency, role.value, password,
                    admin_agency=config.admin.agency, agencies=config.agencies)
    _say(f"Akun '{user.username}' dibuat: instansi {user.agency}, peran {user.role}.", "green")
    if generate:
        _show_generated(password)


@user_app.command("list")
def user_list(workspace: WorkspaceOpt) -> None:
    """Daftar akun (tanpa kata sandi): instansi, peran, status, token API."""
    from geo.steps.accounts import list_users

    users = list_users(Workspace(workspace).require())
    if users.empty:
        _say("Belum ada akun. Tambahkan dengan 'siapwisata user add'.")
        return
    t = Table("akun", "instansi", "peran", "dibuat", "status", "token API", "token terakhir dipakai")
    for r in users.itertuples(index=False):
        t.add_row(*_row(r.username, r.agency, r.role, r.created,
                        "nonaktif" if r.disabled else "aktif", r.tokens,
                        r.token_last_used or "–"))
    out.print(t)


@user_app.command("token")
def user_token(
    workspace: WorkspaceOpt,
    username: UsernameOpt,
    label: Annotated[str, typer.Option(help="Keterangan token (mis. nama skrip)")] = "",
    revoke: Annotated[bool, typer.Option(
        "--revoke", help="Hapus token akun ini (yang berketerangan --label, atau semua)")]
    = False,
) -> None:
    """Buat token API baru (Authorization: Bearer) untuk skrip; dicetak sekali saja."""
    from geo.steps.accounts import create_token, revoke_tokens

    ws = Workspace(workspace).require()
    if revoke:
        n = revoke_tokens(ws, username, label or None)
        _say(f"{n} token API akun '{username}' dihapus.")
        return
    token = create_token(ws, username, label)
    out.print(Text.assemble(("Token API", "bold"), " (dicetak sekali ini saja; simpan "
                            "sekarang, kirim sebagai 'Authorization: Bearer TOKEN'): "),
              soft_wrap=True)
    _say(token)


@user_app.command("passwd")
def user_passwd(workspace: WorkspaceOpt, username: UsernameOpt,
                generate: GenerateOpt = False) -> None:
    """Ganti kata sandi akun (sesi yang masih terbuka berakhir)."""
    from geo.steps.accounts import set_password

    ws = Workspace(workspace).require()
    password = _new_password(generate)
    set_password(ws, username, password)
    _say(f"Kata sandi akun '{username}' diganti.", "green")
    if generate:
        _show_generated(password)


@user_app.command("disable")
def user_disable(
    workspace: WorkspaceOpt,
    username: UsernameOpt,
    enable: Annotated[bool, typer.Option("--enable", help="Aktifkan kembali akun ini")]
    = False,
) -> None:
    """Nonaktifkan akun: tidak bisa masuk, sesinya berakhir, token API-nya tidak berlaku.
    Akun tetap tercatat (riwayat perubahan tetap menyebut namanya)."""
    from geo.steps.accounts import disable_user

    disable_user(Workspace(workspace).require(), username, disabled=not enable)
    _say(f"Akun '{username}' {'diaktifkan kembali' if enable else 'dinonaktifkan'}.")


def _print_counts(counts: dict[str, int]) -> None:
    t = Table("layer", "baris")
    for k, v in counts.items():
        t.add_row(*_row(k, fmt.integer(v)))
    out.print(t)


def _print_info(ws: Workspace) -> None:
    from geo.io.workspace import info as ws_info

    summary = ws_info(ws)
    meta = summary["metadata"]
    out.print(Text.assemble((str(meta.get("region", "?")), "bold"), f"  {summary['path']}"),
              soft_wrap=True)
    t = Table("layer", "geometri", "fitur", "sintetis")
    for layer in summary["layers"]:
        t.add_row(*_row(
            layer["layer"], str(layer["geometry"] or "-"), fmt.integer(layer["features"]),
            fmt.integer(layer["synthetic"]) if layer["synthetic"] else "",
        ))
    out.print(t)
    s = Table("sumber data", "layer", "tanggal", "lisensi", "sintetis")
    for src in summary["sources"]:
        s.add_row(*_row(src["name"], src["layer"], src["date"], src["licence"],
                        "YA" if src["synthetic"] else ""))
    out.print(s)
    if summary["synthetic"]:
        out.print("[bold yellow]DATA CONTOH (SINTETIS)[/bold yellow]: workspace ini berisi "
                  "data sintetis (dibangkitkan), bukan survei wilayah nyata.")
    else:
        out.print("Tidak ada data sintetis.")
    if summary["gateways"]:
        import pandas as pd

        from geo.readiness import gateway_lines

        _say("(dari perhitungan skor terakhir)\n"
             + "\n".join(gateway_lines(pd.DataFrame(summary["gateways"]))))
    _say(f"dibuat {fmt.date_text(meta.get('created_at'), time=True)}, "
         f"diperbarui {fmt.date_text(meta.get('updated_at'), time=True)}, "
         f"perangkat lunak {meta.get('software')} {meta.get('software_version')}")


def _debug() -> bool:
    """The ``debug`` setting (``SIAPWISATA_DEBUG``); off when the settings do not validate."""
    from geo.settings import get_settings

    try:
        return get_settings().debug
    except SiapError:
        return False


def main() -> None:
    try:
        app()
    except SiapError as exc:
        err.print(Text.assemble(("Galat:", "bold red"), " ", str(exc)), soft_wrap=True)
        sys.exit(1)
    except Exception as exc:
        if _debug():
            raise
        err.print(Text.assemble(("Galat internal:", "bold red"),
                                f" {type(exc).__name__}: {exc}\n"
                                "Atur SIAPWISATA_DEBUG=1 untuk melihat traceback."),
                  soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
