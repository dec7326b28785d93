"""pydantic models for every request and response of the API.

Field names follow the workspace layer columns (issues 3 and 4), so a GeoJSON download,
the CSV export and the GeoPackage layer all use the same words. ``class`` is a Python
keyword: the models store it as ``class_`` and always serialise it as ``class``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    create_model,
    model_validator,
)

from geo import fmt

P = TypeVar("P", bound=BaseModel)



# The score bounds of issue 9: one definition for every schema that carries them.
ScoreLow = Annotated[float | None, Field(
    ge=0, le=100, description="Lower bound: unknown indicators at 0; the readiness the data "
                              "proves (class and rank follow it)")]
ScoreHigh = Annotated[float | None, Field(
    ge=0, le=100, description="Upper bound: unknown indicators at 100")]

class ReadinessClass(StrEnum):
    rintisan = "rintisan"
    berkembang = "berkembang"
    maju = "maju"
    mandiri = "mandiri"


class UmkmType(StrEnum):
    kuliner = "kuliner"
    kerajinan = "kerajinan"
    penginapan = "penginapan"
    transportasi = "transportasi"
    toko = "toko"
    lainnya = "lainnya"


class Authority(StrEnum):
    """Road authorities a PU office can fund (``kabupaten`` includes jalan desa)."""

    kabupaten = "kabupaten"
    provinsi = "provinsi"
    nasional = "nasional"
    all = "all"


class DownloadFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    gpkg = "gpkg"


class ColorBy(StrEnum):
    rank = "rank"
    benefit_cost = "benefit_cost"


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


# --- errors ---------------------------------------------------------------------------


class ErrorItem(_Out):
    """One invalid parameter or body field."""

    field: str = Field(description="Where: 'query.budget', 'body.weights.pu', 'path.id'")
    message: str


class ErrorResponse(_Out):
    """Every error: a message for people, plus the offending fields when known."""

    detail: str
    errors: list[ErrorItem] = []
    choices: list[str] | None = Field(default=None, description="Valid values, when the list is short")


# --- GeoJSON --------------------------------------------------------------------------


class Geometry(_Out):
    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon"]
    coordinates: Any


class Feature(_Out, Generic[P]):
    type: Literal["Feature"] = "Feature"
    geometry: Geometry | None
    properties: P


class FeatureCollection(_Out, Generic[P]):
    """A GeoJSON FeatureCollection (RFC 7946) with two foreign members."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature[P]]
    synthetic: bool = Field(
        default=False, description="True when any feature holds synthetic (DATA CONTOH) data"
    )
    attribution: list[str] = Field(
        default_factory=list, description="Credits, e.g. '© OpenStreetMap contributors'"
    )


# --- destinations ---------------------------------------------------------------------


class DestinationProperties(_Out):
    """The columns of the ``scores`` layer (issue 3) for one destination."""

    id: str
    name: str | None = None
    category: str | None = None
    provenance: str | None = None
    score: float | None = Field(default=None, ge=0, le=100)
    score_low: ScoreLow = None
    score_high: ScoreHigh = None
    class_: str | None = Field(default=None, alias="class")
    bottleneck: str | None = None
    bottleneck_agency: str | None = None
    coverage: float | None = Field(default=None, ge=0, le=1)
    class_provisional: bool | None = None
    # score_<dimension> (with _low / _high): one per dimension of readiness.toml, added by
    # destination_properties_model
    access_minutes: float | None = None
    access_gateway: str | None = None
    access_gateway_name: str | None = None
    umkm_15min: int | None = None
    umkm_30min: int | None = None
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    actions: str | None = None


DestinationCollection = FeatureCollection[DestinationProperties]


def dimension_fields(dimensions: Mapping[str, str], *, bounds: bool) -> dict[str, Any]:
    """``score_<dimension>`` fields (and ``_low`` / ``_high`` with ``bounds``) for these
    dimensions (name -> agency): the agencies are data (readiness.toml)."""
    fields: dict[str, Any] = {}
    for name, agency in dimensions.items():
        fields[f"score_{name}"] = (float | None, Field(
            default=None, description=f"Skor {agency} (0-100; null = unknown)"))
        if bounds:
            fields[f"score_{name}_low"] = (float | None, Field(
                default=None, description=f"Skor {agency}, unknown indicators at 0"))
            fields[f"score_{name}_high"] = (float | None, Field(
                default=None, description=f"Skor {agency}, unknown indicators at 100"))
    return fields


@functools.lru_cache(maxsize=16)
def _destination_models(dims: tuple[tuple[str, str], ...]
                        ) -> tuple[type[DestinationProperties], type[FeatureCollection[Any]]]:
    props = create_model("DestinationProperties", __base__=DestinationProperties,
                         **dimension_fields(dict(dims), bounds=True))
    return props, FeatureCollection[props]  # type: ignore[valid-type]


def destination_models(dimensions: Mapping[str, str]
                       ) -> tuple[type[DestinationProperties], type[FeatureCollection[Any]]]:
    """The ``scores`` properties and their FeatureCollection for these dimensions."""
    return _destination_models(tuple(dimensions.items()))


class DimensionScore(_Out):
    dimension: str = Field(description="Dimension key of readiness.toml ([dimensions.<key>])")
    agency: str = Field(description="The agency (OPD) holding this piece")
    score: float | None = Field(default=None, description="0-100; null = unknown (no data)")
    score_low: float | None = Field(default=None, description="Unknown indicators at 0")
    score_high: float | None = Field(default=None, description="Unknown indicators at 100")
    weight: float = Field(description="Configured weight of the dimension")
    gain: float | None = Field(
        default=None, description="Points the overall score gains if this dimension reached 100"
    )


class RouteSummary(_Out):
    """Access from the gateways, all modes: ``access_minutes`` is the fastest time; the
    ``route_*`` km describe the access route (fastest by road function, readiness.toml)."""

    connected: bool | None = None
    access_minutes: float | None = None
    access_gateway: str | None = None
    access_gateway_name: str | None = None
    route_modes: str | None = Field(default=None, description="e.g. 'road', 'road+water'")
    route_km: float | None = None
    route_road_km: float | None = None
    route_paved_good_km: float | None = None
    route_unpaved_km: float | None = None
    route_damaged_km: float | None = None
    route_paved_km: float | None = None
    route_unknown_surface_km: float | None = Field(
        default=None, description="Road km of unknown surface (left out of the paved share)")
    route_unknown_condition_km: float | None = Field(
        default=None, description="Road km where paved-and-good is unknown (left out of the "
                                  "good-condition share)")
    route_water_km: float | None = None
    route_air_km: float | None = None
    last_mile_m: float | None = None
    snap_m: float | None = Field(
        default=None, description="Metres from the site to the link it joins (null = not joined)"
    )
    nearest_reachable_road_m: float | None = Field(
        default=None,
        description="Metres to the nearest link the gateways reach, whatever the snap limit",
    )
    nearest_lodging_min: float | None = None
    nearest_health_min: float | None = None
    nearest_fuel_min: float | None = None
    gateway_minutes: dict[str, float | None] = Field(
        default_factory=dict, description="Minutes from every gateway (null = unreachable)"
    )


class DestinationDetail(_Out):
    id: str
    name: str | None = None
    category: str | None = None
    provenance: str | None = None
    synthetic: bool = False
    lon: float | None = None
    lat: float | None = None
    score: float | None = None
    score_low: ScoreLow = None
    score_high: ScoreHigh = None
    class_: str | None = Field(default=None, alias="class")
    coverage: float | None = None
    class_provisional: bool | None = None
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    bottleneck: str | None = None
    bottleneck_agency: str | None = None
    breakdown: list[DimensionScore]
    actions: list[str]
    route: RouteSummary
    umkm_15min: int | None = None
    umkm_30min: int | None = None
    umkm_by_type_30min: dict[str, int | None] = Field(default_factory=dict)


class ReachProperties(_Out):
    minutes: int = Field(description="Reachable within this many minutes (15 or 30)")
    road_rows: int = Field(description="Number of road rows in the feature")


ReachCollection = FeatureCollection[ReachProperties]


# --- UMKM and kampung -----------------------------------------------------------------


class UmkmProperties(_Out):
    id: str
    name: str | None = None
    type: str | None = None
    location_precision: str | None = None
    provenance: str | None = None


UmkmCollection = FeatureCollection[UmkmProperties]


class KampungProperties(_Out):
    kode: str
    nama: str | None = None
    distrik: str | None = None
    connected: bool | None = None
    minutes_to_nearest_destination: float | None = None
    nearest_destination: str | None = None
    nearest_destination_name: str | None = None


KampungCollection = FeatureCollection[KampungProperties]


# --- priorities -----------------------------------------------------------------------


class PriorityRow(_Out):
    """One road section (ruas) of the ``priorities`` layer (issue 4)."""

    rank: int | None = None
    ruas_id: str
    name: str | None = None
    authority: str | None = None
    length_km: float | None = None
    surface: str | None = None
    condition: str | None = None
    upgrade: str | None = None
    cost_rp: float | None = None
    minutes_saved: float | None = Field(
        default=None, description="Weighted minutes saved: marginal in the budget programme")
    minutes_saved_alone: float | None = Field(
        default=None, description="Weighted minutes saved by this section alone")
    destinations_served: int | None = None
    destinations: str | None = Field(
        default=None, description="Names of the destinations this section alone serves ('; ')")
    score_gain: float | None = Field(
        default=None, description="Sum of score changes: marginal in the budget programme")
    score_gain_alone: float | None = Field(
        default=None, description="Sum of score changes with this section alone")
    benefit_cost: float | None = Field(
        default=None, description="minutes_saved_alone per Rp 1 billion; rank follows it")
    selected: bool | None = None
    pick_order: int | None = Field(
        default=None, description="Order in the greedy budget programme (empty if not picked)")
    cumulative_cost_rp: float | None = None
    provenance: str | None = None


class PrioritiesResponse(_Out):
    budget: float | None = Field(default=None, description="Budget in Rupiah used for 'selected'")
    authority: str
    count: int
    selected_count: int
    selected_cost_rp: float
    synthetic: bool
    assumptions: list[str] = Field(
        default_factory=list, description="Unit costs and speeds that are assumptions"
    )
    rows: list[PriorityRow]


# --- custom weights -------------------------------------------------------------------

# A weight: a JSON number (never a string or a boolean), finite, not negative.
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]


class ScoreWeights(BaseModel):
    """Weights of the agency dimensions; omitted ones keep their configured weight.

    The fields are the dimensions of ``readiness.toml`` (:func:`score_request_model`
    builds the model the API validates with); this base has none.
    """

    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ScoreRequest(BaseModel):
    """Body of ``POST /api/score``."""

    # the example is given for the configured dimensions (score_request_model)
    model_config = ConfigDict(extra="forbid")

    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    ranks: bool = Field(default=True, strict=True,
                        description="Compute Monte Carlo rank intervals")

    @model_validator(mode="after")
    def _not_all_zero(self) -> ScoreRequest:
        given = self.weights.given()
        if given and len(given) == len(type(self.weights).model_fields) \
                and sum(given.values()) <= 0:
            raise ValueError("semua bobot nol")
        return self


def score_request_model(dimensions: Mapping[str, str]) -> type[ScoreRequest]:
    """The ``POST /api/score`` body model for these dimensions (name -> agency).

    Agencies are data (``readiness.toml``), so the weight fields are built from the
    configuration rather than written out here.
    """
    fields: dict[str, Any] = {
        name: (Weight | None, Field(default=None, description=f"Bobot {agency} (weight)"))
        for name, agency in dimensions.items()
    }
    weights = create_model("ScoreWeights", __base__=ScoreWeights, **fields)
    example = dict(zip(dimensions, (3, 1), strict=False))
    return create_model(
        "ScoreRequest", __base__=ScoreRequest,
        weights=(weights, Field(default_factory=weights, examples=[example],
                                description="Bobot per dimensi OPD; yang tidak diberi tetap")),
    )


class ScoreRow(_Out):
    id: str
    name: str | None = None
    score: float | None = None
    score_low: ScoreLow = None
    score_high: ScoreHigh = None
    class_: str | None = Field(default=None, alias="class")
    bottleneck: str | None = None
    coverage: float | None = None
    class_provisional: bool | None = None
    # score_<dimension>: one per dimension of readiness.toml (score_row_model)
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    actions: str | None = None
    stored_score: float | None = Field(default=None, description="Score in the workspace layer")
    stored_rank: int | None = None
    score_change: float | None = Field(default=None, description="score - stored_score")


@functools.lru_cache(maxsize=16)
def _score_row_model(dims: tuple[tuple[str, str], ...]) -> type[ScoreRow]:
    return create_model("ScoreRow", __base__=ScoreRow,
                        **dimension_fields(dict(dims), bounds=False))


def score_row_model(dimensions: Mapping[str, str]) -> type[ScoreRow]:
    """A ``POST /api/score`` row with ``score_<dimension>`` for these dimensions."""
    return _score_row_model(tuple(dimensions.items()))


class ScoreResponse(_Out):
    weights: dict[str, float] = Field(description="Effective weights, summing to 1")
    stored: bool = Field(default=False, description="Always false: stored scores are unchanged")
    synthetic: bool
    # rows carry the score_<dimension> fields of the configuration (score_row_model)
    destinations: list[SerializeAsAny[ScoreRow]]


# --- service --------------------------------------------------------------------------


class LayerInfo(_Out):
    layer: str
    features: int
    synthetic: int


class Health(_Out):
    status: Literal["ok", "degraded"]
    workspace: str
    version: str | None = None
    region: str | None = None
    layers: list[LayerInfo] = []
    synthetic: bool = False
    missing_assets: list[str] = Field(
        default_factory=list, description="Front-end files not installed (run `npm ci`)"
    )
    problems: list[str] = []


# --- accounts (issue 12) ----------------------------------------------------------------


class AccountInfo(_Out):
    """Who is logged in (``GET /api/akun``): for the header widget of cached pages."""

    masuk: bool = Field(description="Whether this request is logged in")
    username: str | None = None
    agency: str | None = Field(default=None, description="Dimension key or the admin agency")
    role: Literal["viewer", "editor", "admin"] | None = None
    csrf_token: str | None = Field(
        default=None, description="CSRF token of this cookie session (send it as the "
                                  "'csrf_token' form field or the X-CSRF-Token header)")


# --- contributions and history (issue 12) ---------------------------------------------

EditValue = str | int | float | bool | None
"""One field's new value in an edit (text, number, yes/no, or null to clear it)."""


class ProblemRow(_Out):
    line: int | None = Field(default=None, description="Spreadsheet line (header = 1)")
    field: str | None = None
    message: str


class DiffRow(_Out):
    feature_id: str
    field: str
    old: Any = None
    new: Any = None


class PreviewResponse(_Out):
    """What applying an uploaded file would change; nothing is written yet."""

    token: str | None = Field(description="Confirm with POST /api/uploads/{token}/apply; "
                                          "null when the file cannot be applied")
    kind: str
    filename: str
    sha256: str
    base_version: int = Field(description="Data version the preview compares against")
    problems: list[str] = Field(description="Row-level problems, as the CLI prints them")
    problem_rows: list[ProblemRow]
    scope_error: str | None = Field(description="Columns outside the agency's scope (403)")
    warnings: list[str]
    new: int
    changed: int
    unchanged: int
    n_diffs: int
    diffs: list[DiffRow]
    new_points: dict[str, Any] = Field(description="GeoJSON of the new points")


class AppliedResponse(_Out):
    version: int = Field(description="The new data version (0: nothing changed)")
    n_changes: int
    message: str


class RoadEdit(BaseModel):
    """A road section's new PU condition and/or surface."""

    model_config = ConfigDict(extra="forbid")
    condition: Literal["baik", "sedang", "rusak_ringan", "rusak_berat"] | None = None
    surface: Literal["aspal", "beton", "paving", "kerikil", "tanah"] | None = None


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=0, description="Restore the values as they were at this version")


class ChangeRow(_Out):
    version: int
    at: str | None = None
    username: str | None = None
    agency: str | None = None
    kind: str | None = None
    summary: str | None = None
    source_file: str | None = None
    source_sha256: str | None = None
    layer: str | None = None
    feature_id: str | None = None
    field: str | None = None
    old: Any = None
    new: Any = None


class ChangesResponse(_Out):
    changes: list[ChangeRow]


class StatusResponse(_Out):
    """Whether the scores are current: pages poll this while they show
    'sedang menghitung ulang…'."""

    version: str | None
    stale: bool = Field(description="Scores or priorities behind the data: pages say "
                                    "'sedang menghitung ulang…'")
    scores_stale: bool = Field(description="Data changed since the scores were computed")
    priorities_stale: bool = Field(description="Priorities ranked before the current scores")
    recomputing: bool
    pending: bool
    last_error: str | None = None
    last_seconds: float | None = None


# --- tasks (issue 13: rencana aksi) -----------------------------------------------------------

TaskStatus = Literal["usulan", "direncanakan", "berjalan", "selesai", "batal"]
AdoptedStatus = Literal["direncanakan", "berjalan", "selesai", "batal"]


class TaskRow(_Out):
    """One task: a destination's gap written as a task for the agency that owns it."""

    task_id: str = Field(description="<destination>:<agency>:<indicator>")
    destination_id: str
    destination_name: str | None = None
    agency: str = Field(description="Dimension key of readiness.toml")
    agency_name: str
    indicator: str = Field(description="Indicator key (_data: the agency's data is missing)")
    text: str = Field(description="What to do and who does it")
    proof_layer: str | None = None
    proof_feature_ids: list[str] = []
    proof_field: str | None = None
    estimated_cost_rp: float | None = None
    status: TaskStatus
    budget_rp: float | None = None
    target_year: int | None = None
    program_code: str | None = None
    progress_pct: float | None = None
    notes: str | None = None
    proof_version: int | None = None
    adopted_at: str | None = None
    adopted_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    version: int = Field(description="Version of the task's last change (0: suggested); "
                                     "send it back as expect_version")
    proof_holds: bool | None = Field(
        None, description="Whether the data still shows what the proof recorded (false "
                          "after a rollback or a later change undid it; null without a proof)")


class TasksResponse(_Out):
    agency: str | None = None
    status: str | None = None
    count: int
    rows: list[TaskRow]


def _rupiah(value: object) -> object:
    """A budget as officers type it ("20 miliar", "Rp 20.000.000.000") or a JSON number."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return fmt.parse_rupiah(value)
    except fmt.RupiahError as exc:
        raise ValueError(f"anggaran: {exc}") from None


Rupiah = Annotated[float | None, BeforeValidator(_rupiah)]
"""Rupiah from a JSON number or from text such as ``"20 miliar"`` (:func:`geo.fmt.parse_rupiah`)."""


class TaskWrite(BaseModel):
    """What an editor records on a task; a field left out keeps its value, null clears it.

    ``status = selesai`` needs ``proof_version`` (a recorded version that changed the
    task's linked data) or ``proof_values`` ({field: value}: the data change itself,
    applied in the same write)."""

    model_config = ConfigDict(extra="forbid")
    status: AdoptedStatus | None = None
    budget_rp: Rupiah = Field(
        default=None, ge=0, allow_inf_nan=False,
        description="Anggaran (Rp): angka JSON, atau teks seperti '20 miliar', '20 M', "
                    "'Rp 20.000.000.000'")
    target_year: int | None = Field(default=None, ge=2000, le=2100)
    program_code: str | None = Field(default=None, max_length=200)
    progress_pct: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    notes: str | None = Field(default=None, max_length=2000)
    expect_version: int | None = Field(default=None, ge=0,
                                       description="The task's version as read (409 if "
                                                   "it changed since)")
    proof_version: int | None = Field(default=None, ge=1)
    proof_values: dict[str, EditValue] | None = None


class TaskApplied(_Out):
    version: int = Field(description="The new workspace version (kind task)")
    n_changes: int
    message: str
    task: TaskRow
