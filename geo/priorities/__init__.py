"""Road-works priorities for Dinas PUPR: exact, costed, budgeted (``siapwisata priorities``).

Which road upgrades buy the most tourism readiness per Rupiah? The rules live in
``data/priorities.toml`` (see its header); in short:

- *Candidates* are road sections (ruas, :func:`geo.io.road_sections`) under the
  chosen authority whose links an upgrade option can improve (tanah -> kerikil,
  kerikil -> aspal, rehabilitasi, rekonstruksi ...). Per link the first matching option
  applies; the section's cost is the sum of length x unit cost over its upgraded links.
  The new speed of a link comes from the same speed table (``data/network.toml``,
  :func:`geo.network.edge_minutes`) as every other travel time.
- *Benefit* (``minutes_saved``) is the drop of the weighted total travel minutes over the
  OD pairs: every gateway -> every destination (weight x destination ``importance``) and
  every kampung (OSM populated place) -> its nearest destination. It is exact: the same
  number as re-running every route with the section upgraded, computed by the pruned
  incremental engine of :mod:`geo.priorities.engine` (proof in its docstring).
- ``benefit_cost`` is minutes saved per Rp 1 billion (menit per Rp 1 miliar).
- ``score_gain`` is the sum over destinations of the change in readiness score with the
  upgrade: the same number as re-running :func:`geo.access.compute_access_frames` on the
  upgraded roads and scoring again. Every score input the accessibility engine writes is
  recomputed where the upgrade can move it: the time and route from the nearest gateway
  (access time, paved / good-condition shares: the PU indicators), the UMKM within 15/30
  minutes (count, per type, types), the nearest lodging / health / fuel, and the transport
  options (``reach_water`` / ``reach_air``; ``reach_road`` cannot change). Only the
  destinations an upgraded arc is close enough to are recounted (bounds and proof in
  ``geo.priorities.scorer``). The UMKM types and facility kinds come with the accessibility result
  (``AccessResult.umkm_type`` / ``facility_label``), so every caller gets the full re-score.
- ``rank`` has one meaning: the order by ``benefit_cost`` of each section by itself
  (``minutes_saved_alone`` per Rp 1 billion), ties by ``score_gain_alone`` then ``ruas_id``.
- *Budget mode*: the best benefit/cost section that still fits is picked, applied, and
  every remaining section is re-evaluated (upgrades interact), until nothing with a real
  benefit (minutes saved on some trip) fits: a section with zero benefit is never picked.
  ``pick_order`` numbers the picks (empty for the rest); ``minutes_saved`` /
  ``score_gain`` are marginal (a pick at its turn, the rest after every pick) next to
  ``minutes_saved_alone`` / ``score_gain_alone``, so a row read on its own does not
  mislead. ``cumulative_*`` run along the picks (exact marginal sums: the readiness-gain
  curve). Without a budget every value is the section alone, nothing is ``selected``
  and ``cumulative_*`` run down the ranking.
- ``destinations`` names the destinations each section by itself reaches faster.

Modules: :mod:`~geo.priorities.config` (priorities.toml and the assumption table),
:mod:`~geo.priorities.candidates` (sections and their upgraded arcs),
:mod:`~geo.priorities.engine` (exact minutes saved), :mod:`~geo.priorities.scorer`
(incremental ``score_gain``), :mod:`~geo.priorities.selection` (ranking and greedy budget
selection), :mod:`~geo.priorities.scenario` (planned works, before/after),
:mod:`~geo.priorities.output` (CSV, XLSX, GeoPackage). The workspace steps
(``priorities_workspace``, ``scenario_workspace``) are in :mod:`geo.steps`."""

from __future__ import annotations

from geo.access import FACILITY_KINDS
from geo.priorities.candidates import (
    Candidates,
    build_candidates,
    excluded_class,
    match_options,
    road_state,
    section_geometry,
    upgraded_rows,
)
from geo.priorities.config import (
    ASSUMPTION_NOTE,
    AUTHORITY_CHOICES,
    BILLION,
    CandidatesConfig,
    PrioritiesConfig,
    UpgradeOption,
    WeightsConfig,
    assumption_rows,
    check_against_speeds,
    load_priorities_config,
    priorities_assumptions,
    read_priorities_config,
)
from geo.priorities.engine import (
    DIJKSTRA_SHARE,
    MIN_LABELS,
    NOISE,
    OVERLAY_CAP,
    SEED_CAP,
    BenefitEngine,
    Evaluation,
    ODPairs,
    importance,
    od_pairs,
)
from geo.priorities.output import (
    HEADERS,
    LAYER,
    OUT_SUFFIXES,
    RUPIAH,
    write_priorities,
    write_priorities_xlsx,
    write_scenario,
    write_table,
    write_xlsx,
)
from geo.priorities.scenario import (
    ALIASES,
    ScenarioResult,
    Works,
    apply_works,
    read_works,
    scenario_frames,
)
from geo.priorities.scorer import Scorer, default_score_inputs, overall_scores_of
from geo.priorities.selection import (
    COLUMNS,
    PrioritiesResult,
    PrioritiesState,
    SharedScan,
    prepare_priorities,
    priorities_frame,
    select_priorities,
)

__all__ = [
    "ALIASES",
    "ASSUMPTION_NOTE",
    "AUTHORITY_CHOICES",
    "BILLION",
    "BenefitEngine",
    "COLUMNS",
    "Candidates",
    "CandidatesConfig",
    "DIJKSTRA_SHARE",
    "Evaluation",
    "FACILITY_KINDS",
    "HEADERS",
    "LAYER",
    "MIN_LABELS",
    "NOISE",
    "ODPairs",
    "OUT_SUFFIXES",
    "OVERLAY_CAP",
    "PrioritiesConfig",
    "PrioritiesResult",
    "PrioritiesState",
    "RUPIAH",
    "SEED_CAP",
    "ScenarioResult",
    "Scorer",
    "UpgradeOption",
    "WeightsConfig",
    "Works",
    "apply_works",
    "assumption_rows",
    "build_candidates",
    "check_against_speeds",
    "default_score_inputs",
    "excluded_class",
    "importance",
    "load_priorities_config",
    "match_options",
    "od_pairs",
    "overall_scores_of",
    "SharedScan",
    "prepare_priorities",
    "priorities_assumptions",
    "priorities_frame",
    "read_priorities_config",
    "read_works",
    "road_state",
    "scenario_frames",
    "section_geometry",
    "select_priorities",
    "upgraded_rows",
    "write_priorities",
    "write_priorities_xlsx",
    "write_scenario",
    "write_table",
    "write_xlsx",
]

