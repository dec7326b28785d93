"""The field-form step: an XLSForm for ODK Collect / KoboCollect (``siapwisata form``).

The form is built by :mod:`geo.io.xlsform` from the import's own columns; with a workspace,
road sections (``ruas_id``) and kampung become choice lists. The file is written whole or
not at all.
"""

from __future__ import annotations

from pathlib import Path

from geo.io import check_out_path
from geo.io.workspace import Workspace, atomic_write
from geo.io.xlsform import FORM_KINDS, Form, build_form, workspace_choices, write_form


def write_field_form(kind: str, out: str | Path, ws: Workspace | None = None) -> Form:
    """Write the XLSForm ``kind`` (``jalan``, ``umkm`` or ``destinasi``) to ``out``.

    Parameters
    ----------
    kind
        A key of :data:`geo.io.xlsform.FORM_KINDS`.
    out
        The ``.xlsx`` file to write (upload it to ODK Central or KoboToolbox).
    ws
        Optional workspace: its road sections become the ``ruas_id`` choices of ``jalan``,
        its kampung the ``kode_kampung`` choices of ``umkm``. Only read.

    Returns
    -------
    Form
        The form written.

    Raises
    ------
    SiapError
        ``out`` is not an ``.xlsx`` file; the workspace does not exist.
    ValueError
        ``kind`` is not a form.
    """
    if kind not in FORM_KINDS:
        raise ValueError(f"formulir '{kind}' tidak dikenal; pilih: {', '.join(FORM_KINDS)}")
    path = check_out_path(out, (".xlsx",))
    assert path is not None
    roads = kampung = None
    if ws is not None:
        roads, kampung = workspace_choices(ws.require(), kind)
    form = build_form(kind, roads=roads, kampung=kampung)

    def write(tmp: Path) -> None:
        write_form(form, tmp)

    atomic_write(path, write)
    return form
