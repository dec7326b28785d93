"""The readiness model: readiness.toml, indicator and dimension scores, classes, exports.

:mod:`geo.readiness.config` (readiness.toml), :mod:`geo.readiness.model` (scores, classes,
bottleneck, actions), :mod:`geo.readiness.output` (CSV/GeoJSON/XLSX files),
:mod:`geo.readiness._scoring` (vectorised kernels), :mod:`geo.readiness.analysis` (the
tables the notebooks show).
"""

from __future__ import annotations

from geo.readiness._scoring import id_number
from geo.readiness.config import (
    CLASSES,
    FALLBACK_COLORS,
    AccessHolders,
    Actions,
    Classes,
    Dimension,
    DimensionLabel,
    FourA,
    Indicator,
    MonteCarlo,
    Ranking,
    ReadinessConfig,
    Score100,
    dimension_labels,
    load_readiness_config,
    read_readiness_config,
    readiness_config_from_dict,
    readiness_config_from_text,
)
from geo.readiness.model import (
    ASSUMPTION_NOTE,
    DATA_TASK,
    PASS_THROUGH,
    SCORES_LAYER,
    UMKM_COLUMNS,
    ScoreResult,
    class_basis,
    classify,
    derive_inputs,
    gateway_lines,
    overall_scores,
    score_frame,
    unreachable,
)
from geo.readiness.output import (
    BOUND_SUFFIXES,
    HEADERS_ID,
    OUT_SUFFIXES,
    assumption_rows,
    header_id,
    headers_id,
    write_scores,
)

__all__ = [
    "ASSUMPTION_NOTE",
    "DATA_TASK",
    "id_number",
    "AccessHolders",
    "Actions",
    "BOUND_SUFFIXES",
    "CLASSES",
    "Classes",
    "Dimension",
    "DimensionLabel",
    "FALLBACK_COLORS",
    "FourA",
    "HEADERS_ID",
    "Indicator",
    "MonteCarlo",
    "OUT_SUFFIXES",
    "PASS_THROUGH",
    "Ranking",
    "ReadinessConfig",
    "SCORES_LAYER",
    "Score100",
    "ScoreResult",
    "UMKM_COLUMNS",
    "assumption_rows",
    "class_basis",
    "classify",
    "derive_inputs",
    "dimension_labels",
    "gateway_lines",
    "header_id",
    "headers_id",
    "load_readiness_config",
    "overall_scores",
    "read_readiness_config",
    "readiness_config_from_dict",
    "readiness_config_from_text",
    "score_frame",
    "unreachable",
    "write_scores",
]

