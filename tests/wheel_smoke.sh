#!/usr/bin/env bash
# The wheel works on its own: build it, install it into a fresh venv, run the CLI from an
# empty temporary folder (demo --data-dir, score, priorities, serve on 127.0.0.1) and run
# the browser tests of tests/test_wheel.py against that server. Run by `make test`.
#
#   tests/wheel_smoke.sh            # PYTHON: the dev venv's python (build, pytest)
#
# The venv is new every run (build/wheel-smoke/venv); a local wheelhouse keeps it quick.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$REPO/.venv/bin/python}
BASE_PY=${BASE_PYTHON:-$(command -v python3.11 || command -v python3)}
# the shared data as the tests find it: SMOKE_DATA_DIR, else SIAPWISATA_DATA_DIR, else beside
# the repository (the wheel's own runs below do not see SIAPWISATA_*: CLEAN)
DATA=$(cd "${SMOKE_DATA_DIR:-${SIAPWISATA_DATA_DIR:-$REPO/../shared/data}}" && pwd)
OUT=$REPO/build/wheel-smoke
WHEELHOUSE=${SMOKE_WHEELHOUSE:-$HOME/.cache/siapwisata/wheelhouse}
T0=$(date +%s)
say() { printf '[wheel-smoke %3ss] %s\n' $(( $(date +%s) - T0 )) "$*"; }

# The last run's venv goes away in the background: deleting its many files takes a while.
if [ -e "$OUT" ]; then mv "$OUT" "$OUT.old.$$" && { rm -rf "$OUT.old.$$" & }; fi
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    # the whole process group: the server's recomputation workers too
    if [ -n "$SERVER_PID" ]; then
        kill -- "-$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Nothing from the source tree or the caller's settings: no PYTHONPATH (the build leaves
# siapwisata.egg-info in the repository, which pip would take for an install), no
# SIAPWISATA_* variables; the CLI runs in an empty folder.
CLEAN=(env -u PYTHONPATH)
for name in $(env | sed -n 's/^\(SIAPWISATA_[A-Za-z0-9_]*\)=.*/\1/p'); do CLEAN+=(-u "$name"); done
say "build the wheel"
"$PY" -m build --wheel --outdir "$OUT/dist" "$REPO" >"$OUT/build.log" 2>&1 \
    || { cat "$OUT/build.log"; exit 1; }
WHEEL=$(ls "$OUT"/dist/siapwisata-*.whl)

say "install $(basename "$WHEEL") into a fresh venv"
# The dependencies come as wheels from a local wheelhouse kept between runs (pip's own cache
# does not help here); pip downloads into it only what it lacks. The dev venv's pip installs
# into the new venv (--python), without byte-compiling: that is most of pip's time.
"$BASE_PY" -m venv --without-pip "$OUT/venv"
PIP=("${CLEAN[@]}" "$PY" -m pip --python "$OUT/venv/bin/python" --disable-pip-version-check)
if ! "${PIP[@]}" install --quiet --no-compile --no-index --find-links "$WHEELHOUSE" "$WHEEL" \
        >"$OUT/pip.log" 2>&1; then
    say "fill the wheelhouse $WHEELHOUSE"
    # The dev venv's own pip (same interpreter and platform), into an empty folder: pip
    # download skips the extras' requirements (uvicorn[standard]) of a file already in
    # --dest. What the wheelhouse holds is taken from it, not downloaded again.
    mkdir -p "$WHEELHOUSE"
    "${CLEAN[@]}" "$PY" -m pip --disable-pip-version-check download --quiet \
        --find-links "$WHEELHOUSE" --dest "$OUT/downloads" "$WHEEL" >>"$OUT/pip.log" 2>&1 \
        || { cat "$OUT/pip.log"; exit 1; }
    cp -n "$OUT"/downloads/*.whl "$WHEELHOUSE"/
    "${PIP[@]}" install --quiet --no-compile --no-index --find-links "$WHEELHOUSE" "$WHEEL" \
        >>"$OUT/pip.log" 2>&1 || { cat "$OUT/pip.log"; exit 1; }
fi

run() { (cd "$WORK" && "${CLEAN[@]}" COLUMNS=200 "$OUT/venv/bin/siapwisata" "$@"); }
(cd "$WORK" && "${CLEAN[@]}" "$OUT/venv/bin/python" -) <<'EOF'
import sys
from pathlib import Path
import api, geo.settings, maps  # from the venv, not the source tree
for mod in (geo.settings, maps, api):
    assert Path(mod.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), mod.__file__
EOF

say "demo without a data folder is refused, naming SIAPWISATA_DATA_DIR"
if run demo --workspace ws.gpkg >"$OUT/no-data.log" 2>&1; then
    echo "demo ran without a data folder"; exit 1
fi
grep -q "SIAPWISATA_DATA_DIR" "$OUT/no-data.log" || { cat "$OUT/no-data.log"; exit 1; }

say "demo, score, priorities in $WORK"
run demo --workspace ws.gpkg --data-dir "$DATA" >"$OUT/demo.log"
run score --workspace ws.gpkg --out skor.xlsx >"$OUT/score.log"
run priorities --workspace ws.gpkg --out prioritas.xlsx >"$OUT/priorities.log"
test -s "$WORK/skor.xlsx" && test -s "$WORK/prioritas.xlsx"

say "report opd: a PDF from the packaged templates (WeasyPrint)"
run report opd --workspace ws.gpkg --id pu --out rapor-pu.pdf >"$OUT/report.log" 2>&1 \
    || { cat "$OUT/report.log"; exit 1; }
head -c 5 "$WORK/rapor-pu.pdf" | grep -q "%PDF-" || { cat "$OUT/report.log"; exit 1; }

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "serve on 127.0.0.1:$PORT"
# setsid: the server leads its own process group, so cleanup can end it with its workers.
(cd "$WORK" && exec setsid "${CLEAN[@]}" "$OUT/venv/bin/siapwisata" serve --workspace ws.gpkg \
    --host 127.0.0.1 --port "$PORT") >"$OUT/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/serve.log"; exit 1; }
    sleep 0.5
done

say "browser tests against the wheel server"
(cd "$REPO" && SIAPWISATA_WHEEL_SERVER="http://127.0.0.1:$PORT" \
    SIAPWISATA_WHEEL_WORKSPACE="$WORK/ws.gpkg" \
    "$PY" -m pytest tests/test_wheel.py -m wheel -q -p no:cacheprovider)
say "done"
