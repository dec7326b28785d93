"""The ranking and the greedy budget selection (``rank``, ``selected``, ``pick_order``).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import fmt, schema
from geo._config import ConfigText
from geo._memory import give_back
from geo._parallel import Beside, fork_beside
from geo._progress import SILENT, Reporter
from geo.access import AccessResult, Columns, Context, RowReader
from geo.exceptions import SiapError
from geo.network import AccessGraph, Network, NetworkConfig
from geo.priorities.candidates import Candidates, build_candidates, section_geometry
from geo.priorities.config import (
    ASSUMPTION_NOTE,
    BILLION,
    PrioritiesConfig,
    priorities_assumptions,
    signed_text,
)
from geo.priorities.engine import BenefitEngine, Evaluation, ODPairs, importance, od_pairs
from geo.priorities.scorer import Bounds, ScanStart, Scorer, bound_reader, default_score_inputs
from geo.readiness import ReadinessConfig

COLUMNS: Final = (
    "rank", "ruas_id", "name", "authority", "length_km", "surface", "condition", "upgrade",
    "upgrade_km", "cost_rp", "minutes_saved", "minutes_saved_alone", "minutes_saved_gateway",
    "minutes_saved_kampung", "destinations_served", "kampung_served", "destinations",
    "destination_ids", "score_gain", "score_gain_alone", "benefit_cost", "selected", "pick_order",
    "cumulative_cost_rp", "cumulative_minutes_saved", "cumulative_score_gain",
    "speed_before_kmh", "speed_after_kmh", "ref", "highway", "n_links", "osm_way_ids",
    "provenance", "assumptions",
)
"""Columns of the ``priorities`` layer and files, in order (issue 4 columns first)."""


@dataclass
class PrioritiesResult:
    """What :func:`priorities_frame` / :func:`geo.steps.priorities_workspace` produced.

    Attributes
    ----------
    table
        The ``priorities`` layer: one row per candidate section, in rank order.
    gains
        Per destination score changes of every section with a non-zero one: ``ruas_id``,
        ``id``, ``name``, ``score_before``, ``score_after``, ``gain`` (for a selected section,
        at the moment it was picked).
    objective_minutes
        Weighted total minutes of the OD pairs before any upgrade.
    """

    table: gpd.GeoDataFrame
    gains: pd.DataFrame
    config: PrioritiesConfig
    network: NetworkConfig
    authority: str
    budget: float | None
    objective_minutes: float
    n_sources: int
    n_targets: int
    synthetic: bool
    timings: dict[str, float] = field(default_factory=dict)
    out: Path | None = None
    configs: dict[str, ConfigText] = field(default_factory=dict)
    """The configuration files used (name -> text), listed in the 'Asumsi' sheet."""

    def summary(self) -> str:
        """A few lines in Bahasa Indonesia for the terminal (numbers through :mod:`geo.fmt`)."""
        t = self.table
        lines = [f"Prioritas ruas jalan, kewenangan {self.authority}: "
                 f"{len(t)} ruas kandidat"]
        lines.append(f"Pasangan asal-tujuan (OD): {self.n_sources} asal (gerbang + kampung), "
                     f"{self.n_targets} destinasi; total {fmt.integer(self.objective_minutes)} menit "
                     "tertimbang")
        useful = int((t["minutes_saved_alone"] > 0).sum()) if len(t) else 0
        lines.append(f"Ruas yang menghemat waktu: {fmt.integer(useful)}")
        if self.budget is not None:
            sel = t[t["selected"]].sort_values("pick_order") if len(t) else t
            lines.append(
                f"Anggaran {fmt.rupiah(self.budget)}: {len(sel)} ruas terpilih, biaya "
                f"{fmt.rupiah(sel['cost_rp'].sum())}, hemat "
                f"{fmt.number(sel['minutes_saved'].sum(), 1)} menit, "
                f"kenaikan skor {fmt.number(np.nansum(sel['score_gain']), 2)}")
            if len(sel):
                lines.append("Program (urutan pilihan): tambahan dalam program "
                             "[bila sendiri saja], kumulatif:")
                for _, r in sel.head(15).iterrows():
                    lines.append(
                        f"  {int(r['pick_order'])}. {r['ruas_id']} (peringkat {int(r['rank'])}): "
                        f"{fmt.number(r['minutes_saved'], 1)} menit "
                        f"[{fmt.number(r['minutes_saved_alone'], 1)}], "
                        f"skor {signed_text(r['score_gain'])} [{signed_text(r['score_gain_alone'])}]; "
                        f"kumulatif {fmt.rupiah(r['cumulative_cost_rp'])} -> "
                        f"{fmt.number(r['cumulative_minutes_saved'], 1)} menit, skor "
                        f"{signed_text(r['cumulative_score_gain'])}")
                if len(sel) > 15:
                    lines.append(f"  ... {len(sel) - 15} pilihan lagi")
        lines.append("Peringkat teratas menurut menit per biaya, tiap ruas sendiri:")
        for _, r in t.head(5).iterrows():
            lines.append(f"  {int(r['rank'])}. {r['ruas_id']} {r['name']}: {r['upgrade']}, "
                         f"{fmt.rupiah(r['cost_rp'])}, {fmt.number(r['minutes_saved_alone'], 1)} "
                         f"menit, {fmt.number(r['benefit_cost'], 2)} menit/Rp 1 M")
        lines.append("Catatan: " + ASSUMPTION_NOTE + ".")
        if self.synthetic:
            lines.append("DATA CONTOH (SINTETIS): jalan/destinasi ini sintetis, bukan data "
                         "wilayah nyata.")
        return "\n".join(lines)

    def assumptions(self) -> pd.DataFrame:
        """The 'Asumsi' sheet: the files, every unit cost, weight, speed and method note."""
        return priorities_assumptions(self.config, self.network, synthetic=self.synthetic,
                                      budget=self.budget, authority=self.authority,
                                      configs=self.configs)


def _order_rest(benefit: np.ndarray, cost: np.ndarray, gain: np.ndarray, ids: np.ndarray,
                idx: np.ndarray) -> np.ndarray:
    """Candidates ``idx`` by benefit/cost (desc), then score gain (desc), then ruas_id."""
    bc = np.where(cost > 0, benefit / np.where(cost > 0, cost, 1.0), 0.0)
    g = np.nan_to_num(gain, nan=0.0)
    order = np.lexsort((ids[idx], -g, -bc))
    return idx[order]


def priorities_frame(access: AccessResult, destinations: pd.DataFrame, *,
                     config: PrioritiesConfig, readiness: ReadinessConfig,
                     authority: str = "kabupaten", budget: float | None = None,
                     score_inputs: pd.DataFrame | None = None,
                     synthetic: bool = False, reporter: Reporter = SILENT,
                     scan: SharedScan | None = None) -> PrioritiesResult:
    """Rank (and, with a budget, select) road upgrades. Pure: frames in, frames out.

    Parameters
    ----------
    access
        :func:`geo.steps.compute_access` (or ``compute_access_frames``) of the network as
        it is; its graph holds the gateways, destinations and kampung.
    destinations
        The ``destinations`` layer (same order as ``access``): ``id``, ``name``,
        ``provenance`` and optional ``importance``.
    authority
        ``kabupaten`` (with desa), ``provinsi``, ``nasional`` or ``all``.
    budget
        Budget in Rupiah for the greedy selection, or None to rank only.
    config
        Upgrade options and weights (:func:`load_priorities_config`).
    score_inputs
        Score inputs per destination (default: destinations joined with the access table).
    readiness
        A :class:`geo.readiness.ReadinessConfig` (the scores the gains are measured on).
    synthetic
        The destinations, gateways or kampung used are synthetic (marks every row).
    reporter
        Progress reporting.
    scan
        The :class:`SharedScan` given to the access run of ``access`` (the scorer then
        makes no scan of its own), or None.

    Raises
    ------
    SiapError
        Unknown authority or a negative budget; ConfigError for a bad configuration.
    """
    _check_budget(budget)
    state = prepare_priorities(access, destinations, authority=authority, config=config,
                               score_inputs=score_inputs, readiness=readiness,
                               synthetic=synthetic, reporter=reporter, scan=scan)
    return select_priorities(state, budget, reporter=reporter)


def _check_budget(budget: float | None) -> None:
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise SiapError(f"--budget harus angka >= 0, bukan {budget}")


@dataclass
class PrioritiesState:
    """The evaluated start of a priorities run for one authority, before any pick.

    Made by :func:`prepare_priorities`; :func:`select_priorities` runs the greedy selection
    for any budget from it, as often as asked, without redoing the candidates, the base
    travel times or the score inputs. It is never changed (each selection works on copies
    of the engines), so one state may serve several threads. Its engine's objective terms
    are filled by the first selection that evaluates (:class:`geo.priorities.engine._Values`),
    every time to the same values.
    """

    access: AccessResult
    authority: str
    config: PrioritiesConfig
    synthetic: bool
    cands: Candidates
    od: ODPairs
    engine: BenefitEngine
    scorer: Scorer
    ids: np.ndarray
    cost: np.ndarray
    dest_ids: np.ndarray
    dest_names: np.ndarray
    timings: dict[str, float]

    @property
    def objective(self) -> float:
        """Weighted total minutes of the OD pairs before any pick (run on first use, or
        taken from the first evaluation of a selection)."""
        return self.engine.objective()


@dataclass
class CandidateArcs:
    """The candidates of one authority on an access graph and the arcs each upgrades:
    candidate ``c`` lowers ``arcs[cand_ptr[c]:cand_ptr[c + 1]]`` to ``new_cost`` (aligned
    with ``arcs``) from today's ``base_cost`` (per arc of the graph)."""

    cands: Candidates
    cand_ptr: np.ndarray
    arcs: np.ndarray
    new_cost: np.ndarray
    base_cost: np.ndarray


def candidate_arcs(graph: AccessGraph, config: PrioritiesConfig, network: NetworkConfig,
                   authority: str, base_cost: np.ndarray | None = None, *,
                   cands: Candidates | None = None) -> CandidateArcs:
    """The candidate sections of ``authority`` (:func:`build_candidates`) and their arcs.

    ``base_cost``: today's arc costs (``graph.arc_minutes()``) when the caller already
    has them; the engines read them and never write to them, so one array serves all.
    ``cands``: :func:`candidates_of` the graph's network, when the caller made them.
    """
    if cands is None:
        cands = candidates_of(graph.network, config, network, authority)
    k = len(cands)
    row_cand = np.full(len(graph.network.roads), -1, dtype=np.int64)
    row_cand[cands.rows] = np.repeat(np.arange(k), np.diff(cands.row_ptr))
    arcs = graph.arcs_of_rows(cands.rows)
    owner = row_cand[graph.arc_row[arcs]]
    order = np.argsort(owner, kind="stable")
    arcs, owner = arcs[order], owner[order]
    new_cost = graph.arc_minutes(cands.minutes_fwd, cands.minutes_bwd)[arcs]
    return CandidateArcs(cands=cands, cand_ptr=np.searchsorted(owner, np.arange(k + 1)),
                         arcs=arcs, new_cost=new_cost,
                         base_cost=graph.arc_minutes() if base_cost is None else base_cost)


def candidates_of(net: Network, config: PrioritiesConfig, network: NetworkConfig,
                  authority: str) -> Candidates:
    """:func:`build_candidates` of a network's roads at its minutes."""
    return build_candidates(net.roads, config, network, authority,
                            minutes=(net.minutes_fwd, net.minutes_bwd))


class SharedScan:
    """The priorities' reader of the access run's scan (a :class:`geo.access.ScanReader`).

    Pass it to :func:`geo.access.compute_access_frames` (``scan=``) and then to
    :func:`priorities_frame`: the candidates are made on the access graph before the scan,
    and the :class:`Scorer` takes today's indicators, times to the points and bounds
    ``M`` from that scan instead of scanning every destination again (the largest single
    cost of a run at scale). Without it the Scorer makes its own scan, to the same values.
    """

    def __init__(self, config: PrioritiesConfig, authority: str, *,
                 reporter: Reporter = SILENT) -> None:
        self.config, self.authority, self.reporter = config, authority, reporter
        self.arcs: CandidateArcs | None = None
        self.state: ScanStart | None = None
        self._bounds: Bounds | None = None
        self._cands: Beside[Candidates] | None = None
        self.candidates_s = 0.0

    def prepare(self, ctx: Context) -> None:
        # the candidates read only the network: a child makes them while this process
        # computes the indicators that need no scan (both mostly one core's work)
        self._cands = fork_beside(functools.partial(
            candidates_of, ctx.graph.network, self.config, ctx.config, self.authority))

    def start(self, ctx: Context) -> tuple[RowReader, int]:
        self.reporter.step("Ruas kandidat (candidate sections)")
        clock = time.perf_counter()
        pending, self._cands = self._cands, None
        # the scan's own arc costs are today's: shared, not made again (an array per arc)
        self.arcs = ca = candidate_arcs(ctx.graph, self.config, ctx.config, self.authority,
                                        base_cost=ctx.travel.arc_cost,
                                        cands=None if pending is None else pending.result())
        self.candidates_s = time.perf_counter() - clock
        self._bounds, reader, budget = bound_reader(ctx.graph, ctx.travel.arc_cost,
                                                    ca.cand_ptr, ca.arcs, ca.new_cost)
        return reader, budget

    def done(self, ctx: Context, columns: Columns) -> None:
        assert self._bounds is not None
        self.state = ScanStart(ctx=ctx, columns=columns, bounds=self._bounds.done())

    def serves(self, access: AccessResult, config: PrioritiesConfig, authority: str) -> bool:
        """Whether it read the scan of ``access`` for these candidates."""
        return (self.state is not None and self.arcs is not None
                and self.state.ctx.graph is access.graph
                and config is self.config and authority == self.authority)


def prepare_priorities(access: AccessResult, destinations: pd.DataFrame, *,
                       config: PrioritiesConfig, readiness: ReadinessConfig,
                       authority: str = "kabupaten",
                       score_inputs: pd.DataFrame | None = None, synthetic: bool = False,
                       reporter: Reporter = SILENT, scan: SharedScan | None = None
                       ) -> PrioritiesState:
    """Candidates, OD pairs, base travel times and score inputs for one authority.

    Parameters are those of :func:`priorities_frame` (without the budget). The result feeds
    :func:`select_priorities`: the server keeps one per authority so that a new budget
    re-runs only the greedy selection.
    """
    graph = access.graph
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    ca: CandidateArcs | None = None
    start: ScanStart | None = None
    if scan is not None and scan.serves(access, config, authority):
        ca, start = scan.arcs, scan.state  # made for the access run's scan
        clock -= scan.candidates_s
    if ca is None:
        reporter.step("Ruas kandidat (candidate sections)")
        ca, start = candidate_arcs(graph, config, access.config, authority), None
    cands, cand_ptr, arcs, base_cost = ca.cands, ca.cand_ptr, ca.arcs, ca.base_cost
    weights = importance(destinations, config)
    od = od_pairs(graph, weights, config)
    timings["candidates_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    reporter.step(f"Waktu tempuh dasar: {len(od.sources)} asal, "
                  f"{len(od.targets)} destinasi")
    engine = BenefitEngine(graph, od, base_cost, cand_ptr, arcs, ca.new_cost,
                           csr=None if start is None else start.ctx.travel.csr)
    timings["engine_setup_s"] = time.perf_counter() - clock

    inputs = score_inputs if score_inputs is not None else default_score_inputs(destinations,
                                                                                 access)
    scorer = Scorer(access, inputs, readiness, base_cost, cands, cand_ptr, arcs,
                    ca.new_cost, start=start)
    # the set-ups' transient arrays (transposed graph, bounds, attribute frames) leave
    # free pages in the heap that the selection's many smaller arrays cannot all reuse
    give_back()
    ids = cands.table["ruas_id"].to_numpy(dtype=object)
    cost = cands.table["cost_rp"].to_numpy(dtype=float)
    dest_ids = destinations["id"].to_numpy(dtype=object)
    dest_names = (destinations["name"].astype(object).to_numpy() if "name" in destinations
                  else dest_ids)
    return PrioritiesState(access=access, authority=authority, config=config,
                           synthetic=synthetic, cands=cands, od=od, engine=engine,
                           scorer=scorer, ids=ids, cost=cost,
                           dest_ids=dest_ids, dest_names=dest_names, timings=timings)


def select_priorities(state: PrioritiesState, budget: float | None = None, *,
                      reporter: Reporter = SILENT) -> PrioritiesResult:
    """The greedy selection (or, without a budget, the ranking) from a prepared state.

    The same rows as :func:`priorities_frame` with this budget and the state's authority
    (which runs exactly this after :func:`prepare_priorities`); the state is not changed.
    """
    _check_budget(budget)
    access, authority, config = state.access, state.authority, state.config
    synthetic, cands, od = state.synthetic, state.cands, state.od
    ids, cost, dest_ids, dest_names = state.ids, state.cost, state.dest_ids, state.dest_names
    graph = access.graph
    net = graph.network
    k = len(cands)
    timings = dict(state.timings)
    # the greedy applies its picks to the engines: work on forks of the prepared ones
    engine, scorer = state.engine.fork(), state.scorer.fork()

    benefit = np.zeros(k)
    b_gw = np.zeros(k)
    b_k = np.zeros(k)
    served = np.zeros(k, dtype=np.int64)
    k_served = np.zeros(k, dtype=np.int64)
    gain = np.full(k, np.nan)
    # per candidate with a gain: (candidate, destination rows, gains, scores before);
    # one frame at the end, not one per candidate (3 s at 100 tiles)
    gain_parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    picks: list[int] = []
    spent = 0.0
    remaining = np.arange(k)
    t_benefit = t_score = 0.0

    def score_gains(cs: list[int], faster: np.ndarray) -> None:
        """Score gains of candidates in the current state; per destination rows kept."""
        per = scorer.gains(cs, faster, engine.upgraded_cost)
        for c in cs:
            rows, g = per[c]
            gain[c] = float(np.nansum(g))
            keep = np.nan_to_num(g) != 0
            if keep.any():
                nz = rows[keep]
                # the scores of this state (the greedy's picks change them)
                gain_parts.append((c, nz, g[keep], scorer.scores[nz]))

    def record(ev: Evaluation, idx: np.ndarray) -> None:
        benefit[idx] = ev.benefit
        b_gw[idx] = ev.benefit_gateway
        b_k[idx] = ev.benefit_kampung
        served[idx] = ev.destinations_served()
        k_served[idx] = ev.kampung_served

    d_rows = np.flatnonzero(graph.nodes("destinations") >= 0)  # od target -> destination row
    alone: Evaluation | None = None
    gain_alone = np.full(k, np.nan)
    if budget is not None:
        # every section by itself, in the network as it is: the row read on its own
        clock = time.perf_counter()
        alone = engine.evaluate(np.arange(k))
        t_benefit += time.perf_counter() - clock
        clock = time.perf_counter()
        per = scorer.gains(list(range(k)), alone.access_changed, engine.upgraded_cost)
        gain_alone = np.array([float(np.nansum(per[c][1])) for c in range(k)])
        t_score += time.perf_counter() - clock

    while True:
        # while picking, only sections that still fit the budget need their benefit; the
        # last round (nothing fits any more) evaluates every remaining section
        fit = remaining if budget is None else remaining[cost[remaining] <= budget - spent
                                                         + 1e-6]
        clock = time.perf_counter()
        ev = engine.evaluate(fit)
        t_benefit += time.perf_counter() - clock
        if budget is None or not _useful(ev).any():
            if len(fit) < len(remaining):
                clock = time.perf_counter()
                ev = engine.evaluate(remaining)
                t_benefit += time.perf_counter() - clock
            record(ev, remaining)
            break
        bc = ev.benefit / np.where(cost[fit] > 0, cost[fit], np.inf)
        ok = _useful(ev)
        best_bc = bc[ok].max()
        tie = np.flatnonzero(ok & (bc == best_bc))
        at = tie[np.lexsort((ids[fit[tie]], -ev.benefit[tie]))[0]]
        c = int(fit[at])
        record(ev, fit)
        reporter.step(f"Pilihan {len(picks) + 1}: {ids[c]} {cands.table['name'].iat[c]} "
                      f"({fmt.rupiah(cost[c])}, {fmt.number(ev.benefit[at], 1)} menit)")
        clock = time.perf_counter()
        score_gains([c], ev.access_changed[[at]])
        t_score += time.perf_counter() - clock
        picks.append(c)
        spent += cost[c]
        engine.apply(c)
        clock = time.perf_counter()
        scorer.apply(c, engine.cost.copy())
        t_score += time.perf_counter() - clock
        remaining = remaining[remaining != c]
    # the rest, in the final state
    clock = time.perf_counter()
    reporter.step(f"Kenaikan skor (score gains): {len(remaining)} ruas")
    score_gains(remaining.tolist(), ev.access_changed)
    t_score += time.perf_counter() - clock
    timings["benefits_s"] = t_benefit
    timings["scores_s"] = t_score

    if alone is None:  # without a budget every section is evaluated alone: the same numbers
        alone = ev
        gain_alone = gain.copy()
    benefit_alone = alone.benefit
    names = np.array([str(n) if isinstance(n, str) and n.strip() else str(i)
                      for n, i in zip(dest_names, dest_ids, strict=True)], dtype=object)
    serves = _served_names(alone, k, d_rows, names)
    # Names may repeat or hold "; ": the ids (a JSON list) say exactly which sites a section
    # serves, for the tasks that name it (geo.steps.tasks)
    serve_ids = _served_names(alone, k, d_rows, np.array([str(i) for i in dest_ids], dtype=object),
                              join=lambda part: json.dumps(part, ensure_ascii=False))
    ranked = _order_rest(benefit_alone, cost, gain_alone, ids, np.arange(k))
    pick_order = np.zeros(k, dtype=np.int64)
    pick_order[np.array(picks, dtype=np.int64)] = np.arange(1, len(picks) + 1)
    table = _assemble(cands, ranked, pick_order, budget is not None, benefit, b_gw, b_k,
                      served, k_served, gain, benefit_alone, gain_alone, serves, serve_ids,
                      synthetic, net)
    gains = _gain_table(gain_parts, ids, dest_ids, dest_names)
    return PrioritiesResult(table=table, gains=gains, config=config, network=access.config,
                            authority=authority, budget=budget,
                            # the state's terms, which the first evaluation above filled
                            objective_minutes=state.objective,
                            n_sources=len(od.sources), n_targets=len(od.targets),
                            synthetic=synthetic or bool((table["provenance"] == "synthetic").any()),
                            timings=timings)


def _gain_table(parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
                ids: np.ndarray, dest_ids: np.ndarray, dest_names: np.ndarray
                ) -> pd.DataFrame:
    """The per-destination score gains of the candidates, in the order they were found:
    ``parts`` holds per candidate its index, the destination rows that gain, the gains
    and those rows' scores before."""
    columns = ["ruas_id", "id", "name", "score_before", "score_after", "gain"]
    if not parts:
        return pd.DataFrame(columns=columns)
    cand = np.repeat(np.array([c for c, *_ in parts], dtype=np.int64),
                     [len(rows) for _, rows, _, _ in parts])
    rows = np.concatenate([p[1] for p in parts])
    gain = np.concatenate([p[2] for p in parts])
    before = np.concatenate([p[3] for p in parts])
    return pd.DataFrame({"ruas_id": ids[cand], "id": dest_ids[rows], "name": dest_names[rows],
                         "score_before": before, "score_after": before + gain,
                         "gain": gain}, columns=columns)


def _useful(ev: Evaluation) -> np.ndarray:
    """Sections with a real benefit: minutes saved on some destination or kampung trip.

    Float noise between paths of equal length is not a benefit (the engine's counts
    already ignore it), so a pick never has zero benefit.
    """
    real = (np.bincount(ev.served[:, 0], minlength=len(ev.benefit)) + ev.kampung_served) > 0
    return np.asarray((ev.benefit > 0) & real)


def _served_names(ev: Evaluation, k: int, d_rows: np.ndarray, names: np.ndarray,
                  join: Callable[[list[str]], str] = "; ".join) -> np.ndarray:
    """Per candidate, the names (or ids) of the destinations it serves, in row order,
    joined by ``join`` ("; " by default); empty when it serves none."""
    out = np.full(k, "", dtype=object)
    if not len(ev.served):
        return out
    pairs = ev.served[np.lexsort((ev.served[:, 1], ev.served[:, 0]))]
    cand, rows = pairs[:, 0], d_rows[pairs[:, 1]]
    starts = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1]])
    for c, part in zip(cand[starts].tolist(), np.split(names[rows], starts[1:]),
                       strict=True):  # one join per candidate that serves something
        out[c] = join(part.tolist())
    return out


def _assemble(cands: Candidates, ranked: np.ndarray, pick_order: np.ndarray, has_budget: bool,
              benefit: np.ndarray, b_gw: np.ndarray, b_k: np.ndarray, served: np.ndarray,
              k_served: np.ndarray, gain: np.ndarray, benefit_alone: np.ndarray,
              gain_alone: np.ndarray, serves: np.ndarray, serve_ids: np.ndarray, synthetic: bool,
              network: Network) -> gpd.GeoDataFrame:
    """The table in rank order (benefit per cost of each section alone).

    ``minutes_saved`` / ``score_gain`` are marginal (a pick: at its turn in the programme;
    the rest: after every pick); ``*_alone`` are the section by itself. The cumulative
    columns run down the ranking without a budget, and along the programme (pick order,
    exact marginal sums) on the selected rows with a budget, empty elsewhere.
    """
    t = cands.table.iloc[ranked].reset_index(drop=True)
    cost = t["cost_rp"].to_numpy(dtype=float)
    saved = benefit[ranked]
    g = gain[ranked]
    saved_alone = benefit_alone[ranked]
    picks = pick_order[ranked]
    selected = picks > 0
    prov = t["road_provenance"].to_numpy(dtype=object)
    prov = np.where(synthetic | (prov == "synthetic"), "synthetic", prov)
    prov = np.where(prov == "", "unknown", prov)
    with np.errstate(divide="ignore", invalid="ignore"):
        bc = np.where(cost > 0, saved_alone / (cost / BILLION), np.nan)
    if has_budget:
        order = np.argsort(np.where(selected, picks, len(picks) + 1), kind="stable")
        cum = {}
        for key, v in (("cost", cost), ("saved", saved), ("gain", np.nan_to_num(g))):
            run = np.full(len(t), np.nan)
            sel = order[: int(selected.sum())]
            run[sel] = np.cumsum(v[sel])
            cum[key] = run
    else:
        cum = {"cost": np.cumsum(cost), "saved": np.cumsum(saved),
               "gain": np.cumsum(np.nan_to_num(g))}
    data: dict[str, Any] = {
        "rank": np.arange(1, len(t) + 1, dtype=np.int64),
        "ruas_id": t["ruas_id"], "name": t["name"], "authority": t["authority"],
        "length_km": t["length_km"], "surface": t["surface"], "condition": t["condition"],
        "upgrade": t["upgrade"], "upgrade_km": t["upgrade_km"], "cost_rp": cost,
        "minutes_saved": saved, "minutes_saved_alone": saved_alone,
        "minutes_saved_gateway": b_gw[ranked],
        "minutes_saved_kampung": b_k[ranked], "destinations_served": served[ranked],
        "kampung_served": k_served[ranked], "destinations": serves[ranked],
        "destination_ids": serve_ids[ranked],
        "score_gain": g, "score_gain_alone": gain_alone[ranked], "benefit_cost": bc,
        "selected": selected if has_budget else np.zeros(len(t), bool),
        "pick_order": pd.array(np.where(selected, picks, 0), dtype="Int64").astype("Int64"),
        "cumulative_cost_rp": cum["cost"],
        "cumulative_minutes_saved": cum["saved"],
        "cumulative_score_gain": cum["gain"],
        "speed_before_kmh": t["speed_before_kmh"], "speed_after_kmh": t["speed_after_kmh"],
        "ref": t["ref"], "highway": t["highway"], "n_links": t["n_links"],
        "osm_way_ids": t["osm_way_ids"], "provenance": prov, "assumptions": ASSUMPTION_NOTE,
    }
    df = pd.DataFrame(data)
    df.loc[~selected, "pick_order"] = pd.NA
    geom = (section_geometry(network, cands.labels, t["label"].to_numpy()) if len(t)
            else gpd.GeoSeries([], crs=schema.WGS84))
    return gpd.GeoDataFrame(df[list(COLUMNS)], geometry=geom.to_numpy(), crs=schema.WGS84)
