"""Synthetic demo incidents, so the dashboard shows something useful on first start.

Every row is ``source_dataset = "demo"`` with ``source_event_id`` ``DEMO-000001``… and
``notes`` saying "Synthetic demo event — not a real incident"; the UI labels them. The
real UCDP GED sample rows are loaded alongside as a separate batch.

The generator is vectorised numpy (one million rows in seconds, for benchmarks) and
deterministic: the same parameters give an identical frame. It also depends on
``geodata/data/corridors_waypoints.csv``, so editing that file changes the demo.

Assumptions: a stylised picture drawn from public reporting, not fitted to any data set.

* Where: events cluster around hotspots: the corridor waypoints (Liptako-Gourma,
  the IS Sahel belt Ansongo–Ménaka–Tillabéri, Soum, northern Mali to Tessalit, central
  Mali/inner Niger Delta, the western push to Kayes, eastern Burkina toward Benin/Togo,
  the Fezzan–Kawar route) plus a few towns (Bamako, Ouagadougou, Niamey: low-level;
  Tombouctou, Douentza, Bandiagara, Dori, Kaya, Ouahigouya, Tahoua, Diffa, Bol,
  Bassikounou, Bordj Badji Mokhtar). Each point is its hotspot plus gaussian scatter of
  10–40 km depending on the region. Points that fall outside every covered country are
  redrawn (a few times, then placed at their hotspot), so all rows carry a country.
  Most activity falls in Mali, Burkina Faso and Niger; Libya, Algeria, Chad, Mauritania
  and the coastal states get a little.
* When: daily intensity rises linearly to 3.5 times its start level over the period,
  with dry-season seasonality (peak mid-March, trough mid-September, ±25 %). Regional
  shares shift by year: Burkina and Liptako grow from 2019, the Ménaka/Tillabéri belt
  surges in 2022–23, the north around Kidal in 2023–24, the western push toward
  Kayes/Nioro from 2023.
* Bursts (self-exciting, Hawkes-like): 15 % of the rows are follow-ups of an earlier event.
  About 3 % of the other events each trigger a burst (its size geometric, mean 6): the
  follow-ups fall 1-45 days after their trigger (exponential decay, mean about a week) and
  within a few km of it (gaussian scatter of 8 km), in the trigger's hotspot region. A
  quarter of the follow-ups are follow-ups of follow-ups (a second generation), so some
  bursts cascade. The row count stays exactly ``n``: the background events are drawn first
  and the follow-ups fill the rest (they are the last ids). A stylised assumption, not fitted.
* What: battle ~35 %, violence against civilians ~25 %, explosion/remote ~15 %,
  strategic development ~10 %, protest ~8 %, abduction ~7 %; the capitals lean to
  protests and strategic developments.
* Who: each region has a mix of armed groups (IS Sahel dominant around Ménaka,
  Tillabéri and Lake Chad; JNIM in central Mali, Soum, eastern Burkina and the west;
  JNIM and Azawad rebels in the north; militias in central Mali). State forces (and,
  in Mali, Burkina and Niger, foreign forces: French until their withdrawals, then
  Wagner / Africa Corps) are actor1 in most battles and in drone strikes.
  ``actor_group`` is derived from the actor names with the same rules as real data.
* How deadly: zero-inflated negative binomial per event type (battles mean ~7 when
  deadly, strategic developments never), plus rare mass-casualty events (0.2–0.4 % of
  battles, attacks on civilians and explosions; Pareto tail from 20), capped at 500.
* Precision: geo_precision 1/2/3 in 72/20/8 %; date precision day/week/month in
  90/7/3 %. ``civilian_targeting`` for violence against civilians, abductions and
  explosions that hit civilians.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.io import read_table
from geodata.paths import DATA_DIR
from incidents.admin_join import attach_admin_units
from incidents.auth.roles import Permission, User, require
from incidents.model import conform_incidents
from incidents.readers.ucdp import read_ucdp_ged
from incidents.settings import db_url, demo_enabled
from incidents.store import BatchMeta, IncidentStore
from incidents.vocabularies import derive_actor_group

DEMO_ROWS: Final = 20_000
DEMO_SEED: Final = 20250920
DEMO_START: Final = date(2018, 1, 1)
DEMO_END: Final = date(2025, 12, 31)
#: Bump when the generator changes, so the batch checksum tells versions apart.
DEMO_GENERATOR_VERSION: Final = "demo-generator-2"
DEMO_NOTE: Final = "Synthetic demo event — not a real incident"
DEMO_FILE_NAME: Final = "demo (synthetic)"
#: ``batches.format`` of the synthetic rows (``source_dataset`` is ``demo`` too).
DEMO_FORMAT: Final = "demo"
#: ``store_meta`` flag: 1 once the demo was removed, so the app does not load it again at start.
DEMO_REMOVED_KEY: Final = "demo_removed"
#: Audit ``action`` of each batch :func:`remove_demo` undoes.
DEMO_REMOVE_ACTION: Final = "remove_demo"

WAYPOINTS_FILE: Final = DATA_DIR / "corridors_waypoints.csv"
UCDP_SAMPLE_FILE: Final = Path(__file__).resolve().parent / "data" / "ucdp_ged_sample_sahel_2012plus.csv"

KM_PER_DEGREE: Final = 111.32
REDRAW_ATTEMPTS: Final = 8
NEAR_KM: Final = 8.0
MAX_FATALITIES: Final = 500

# ---- bursts (self-exciting follow-ups) -------------------------------------------------

#: Share of the rows that are follow-ups of an earlier event.
BURST_SHARE: Final = 0.15
#: How the follow-ups split over generations: follow-ups of background events, then of those.
BURST_GENERATIONS: Final = (0.75, 0.25)
#: Mean number of follow-ups of one triggering event (geometric, at least 1).
BURST_MEAN_SIZE: Final = 6.0
#: Mean delay of a follow-up after its trigger (exponential; whole days, at least 1).
BURST_DECAY_DAYS: Final = 7.0
BURST_MAX_DAYS: Final = 45
#: Gaussian scatter of a follow-up around its trigger's point.
BURST_SIGMA_KM: Final = 8.0

# ---- where ---------------------------------------------------------------------------

#: Armed-group families a region's events are attributed to, in this order.
GROUPS: Final = ("JNIM", "IS Sahel", "militia", "rebels", "unidentified")
JNIM, IS_SAHEL, MILITIA, REBELS, UNIDENTIFIED = range(len(GROUPS))


@dataclass(frozen=True)
class _Region:
    weight: float  # relative activity of one hotspot in this region
    sigma_km: float  # gaussian scatter around the hotspot
    groups: tuple[float, float, float, float, float]  # probabilities over GROUPS
    trend: tuple[float, ...]  # multiplier per year from 2018 (last value carries on)
    capital: bool = False


_FLAT: Final = (1.0,)
REGIONS: Final[dict[str, _Region]] = {
    "liptako": _Region(3.0, 25, (0.50, 0.30, 0.05, 0.00, 0.15), (0.6, 1.0, 1.3, 1.3, 1.4, 1.4, 1.3, 1.3)),
    "is_belt": _Region(2.5, 30, (0.15, 0.60, 0.15, 0.00, 0.10), (1.0, 1.0, 1.1, 1.1, 1.6, 1.6, 1.2, 1.2)),
    "soum": _Region(3.0, 20, (0.70, 0.08, 0.07, 0.00, 0.15), (0.5, 1.0, 1.2, 1.3, 1.5, 1.5, 1.4, 1.3)),
    "north": _Region(1.2, 30, (0.40, 0.05, 0.00, 0.35, 0.20), (0.8, 0.7, 0.7, 0.7, 0.8, 1.5, 1.5, 1.0)),
    "centre": _Region(3.0, 20, (0.60, 0.02, 0.20, 0.00, 0.18), (1.2, 1.3, 1.2, 1.1, 1.2, 1.0, 1.0, 1.0)),
    "west": _Region(1.2, 20, (0.75, 0.00, 0.05, 0.00, 0.20), (0.2, 0.2, 0.3, 0.4, 0.6, 0.9, 1.3, 1.8)),
    "bf_east": _Region(1.5, 25, (0.75, 0.05, 0.00, 0.00, 0.20), (0.4, 0.8, 1.0, 1.1, 1.3, 1.4, 1.5, 1.5)),
    "bf_centre": _Region(1.5, 25, (0.70, 0.05, 0.05, 0.00, 0.20), (0.5, 1.0, 1.2, 1.2, 1.3, 1.3, 1.3, 1.3)),
    "desert": _Region(0.12, 40, (0.10, 0.00, 0.25, 0.15, 0.50), _FLAT),
    "lake_chad": _Region(0.3, 30, (0.05, 0.60, 0.05, 0.00, 0.30), _FLAT),
    "capital": _Region(0.6, 10, (0.30, 0.05, 0.00, 0.00, 0.65), _FLAT, capital=True),
}
TREND_BASE_YEAR: Final = 2018

CORRIDOR_REGIONS: Final[dict[str, str]] = {
    "C1": "liptako",
    "C2": "is_belt",
    "C3": "soum",
    "C4": "north",
    "C5": "desert",
    "C6": "desert",
    "C7": "centre",
    "C8": "west",
    "C9": "bf_east",
}
#: Corridors added later fall back to a quiet region rather than dominating the demo.
FALLBACK_REGION: Final = "desert"
#: Connectors were chosen by us to join named places: less activity than named ones.
CONNECTOR_FACTOR: Final = 0.6
#: Activity outside the focus countries is kept small (country_iso2 -> factor).
COUNTRY_FACTOR: Final[dict[str, float]] = {"BJ": 0.25, "TG": 0.25, "DZ": 0.3}

#: (name, lat, lon, region, weight factor): towns the corridors do not list.
EXTRA_TOWNS: Final = (
    ("Bamako", 12.6392, -8.0029, "capital", 1.3),
    ("Ouagadougou", 12.3714, -1.5197, "capital", 1.0),
    ("Niamey", 13.5116, 2.1254, "capital", 1.0),
    ("Tombouctou", 16.7735, -3.0074, "north", 1.0),
    ("Douentza", 15.0019, -2.9498, "centre", 0.7),
    ("Bandiagara", 14.3500, -3.6104, "centre", 0.7),
    ("Dori", 14.0354, -0.0345, "liptako", 0.6),
    ("Kaya", 13.0917, -1.0844, "bf_centre", 1.0),
    ("Ouahigouya", 13.5828, -2.4216, "bf_centre", 0.8),
    ("Tahoua", 14.8888, 5.2692, "is_belt", 0.2),
    ("Diffa", 13.3154, 12.6113, "lake_chad", 1.0),
    ("Bol", 13.4586, 14.7147, "lake_chad", 0.6),
    ("Bassikounou", 15.8667, -5.9667, "desert", 1.5),
    ("Bordj Badji Mokhtar", 21.3275, 0.9528, "desert", 1.0),
)

# ---- what ----------------------------------------------------------------------------

EVENT_TYPES: Final = (
    "battle",
    "violence_against_civilians",
    "explosion_remote_violence",
    "abduction",
    "strategic_development",
    "protest_riot",
)
BATTLE, VAC, EXPLOSION, ABDUCTION, STRATEGIC, PROTEST = range(len(EVENT_TYPES))
#: Event-type mix away from capitals, and in capitals (order of EVENT_TYPES).
TYPE_MIX_FIELD: Final = (0.355, 0.25, 0.155, 0.072, 0.095, 0.073)
TYPE_MIX_CAPITAL: Final = (0.08, 0.10, 0.07, 0.05, 0.25, 0.45)

SUB_EVENT_TYPES: Final[dict[int, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    BATTLE: (
        (
            "Armed clash",
            "Attack on military position",
            "Government regains territory",
            "Non-state actor overtakes territory",
        ),
        (0.70, 0.20, 0.05, 0.05),
    ),
    VAC: (("Attack", "Sexual violence"), (0.95, 0.05)),
    EXPLOSION: (
        ("Remote explosive/landmine/IED", "Shelling/artillery/missile attack", "Suicide bomb"),
        (0.80, 0.15, 0.05),
    ),
    ABDUCTION: (("Abduction/forced disappearance",), (1.0,)),
    STRATEGIC: (
        (
            "Looting/property destruction",
            "Non-violent transfer of territory",
            "Arrests",
            "Headquarters or base established",
            "Agreement",
        ),
        (0.35, 0.20, 0.20, 0.15, 0.10),
    ),
    PROTEST: (("Peaceful protest", "Protest with intervention", "Violent demonstration"), (0.70, 0.20, 0.10)),
}
DRONE_SUB_EVENT: Final = "Air/drone strike"

#: Per event type: probability of zero deaths, mean deaths when deadly, NB dispersion.
FATALITY_MODEL: Final[dict[int, tuple[float, float, float]]] = {
    BATTLE: (0.30, 7.0, 0.8),
    VAC: (0.25, 5.0, 0.5),
    EXPLOSION: (0.45, 4.0, 0.6),
    ABDUCTION: (0.90, 1.5, 1.0),
    STRATEGIC: (1.00, 1.0, 1.0),
    PROTEST: (0.98, 1.0, 1.0),
}

#: Rare mass-casualty events (Solhan, Moura, Barsalogho): share per event type, Pareto tail.
MASS_CASUALTY_SHARE: Final[dict[int, float]] = {BATTLE: 0.004, VAC: 0.004, EXPLOSION: 0.002}
MASS_CASUALTY_MIN: Final = 20
MASS_CASUALTY_SCALE: Final = 30.0
MASS_CASUALTY_SHAPE: Final = 1.5

GEO_PRECISION_MIX: Final = ((1, 2, 3), (0.72, 0.20, 0.08))
DATE_PRECISION_MIX: Final = (("day", "week", "month"), (0.90, 0.07, 0.03))

# ---- who -----------------------------------------------------------------------------

GROUP_NAMES: Final[dict[int, str]] = {
    JNIM: "JNIM: Group for Support of Islam and Muslims",
    IS_SAHEL: "Islamic State Sahel Province",
}
MILITIA_NAMES: Final[dict[str, str]] = {
    "MLI": "Dan Na Ambassagou militia",
    "BFA": "Koglweogo militia",
}
#: A rival for armed-vs-armed battles (JNIM and IS Sahel fight each other; CSP vs EIGS).
RIVALS: Final[dict[int, int]] = {JNIM: IS_SAHEL, IS_SAHEL: JNIM, MILITIA: JNIM, REBELS: IS_SAHEL}
#: Share of the state side that is a foreign force, where foreign forces operated.
FOREIGN_SHARE: Final[dict[str, float]] = {"MLI": 0.35, "BFA": 0.10, "NER": 0.15}


def _foreign_force(iso3: str, year: int) -> str:
    """Which foreign force backed the state side in ``iso3`` in ``year`` (stylised)."""
    if iso3 == "MLI":
        if year < 2022:
            return "Military Forces of France (Operation Barkhane)"
        return "Wagner Group" if year < 2024 else "Africa Corps (Russia)"
    if iso3 == "BFA":
        return "Military Forces of France (Task Force Sabre)" if year < 2023 else "Africa Corps (Russia)"
    return "Military Forces of France (Operation Barkhane)" if year < 2024 else "Africa Corps (Russia)"


def _rebel_name(iso3: str, year: int, country: str) -> str:
    if iso3 == "MLI":
        return "CSP-PSD (Azawad rebel coalition)" if year < 2025 else "FLA (Azawad Liberation Front)"
    return f"Rebel group ({country})"


# ---- generation ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Hotspots:
    name: npt.NDArray[np.object_]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    region: tuple[str, ...]
    weight: npt.NDArray[np.float64]
    sigma_km: npt.NDArray[np.float64]


def _load_hotspots(path: Path = WAYPOINTS_FILE) -> _Hotspots:
    """Corridor waypoints (each place once) plus :data:`EXTRA_TOWNS`."""
    waypoints = read_table(
        path, ("corridor_id", "place_id", "name", "country_iso2", "lat", "lon", "connector")
    ).drop_duplicates("place_id", keep="first")
    names: list[str] = []
    lats: list[float] = []
    lons: list[float] = []
    regions: list[str] = []
    weights: list[float] = []
    for row in waypoints.itertuples(index=False):  # ~60 rows: clarity beats vectorising
        region = CORRIDOR_REGIONS.get(str(row.corridor_id), FALLBACK_REGION)
        factor = CONNECTOR_FACTOR if int(row.connector) == 1 else 1.0
        factor *= COUNTRY_FACTOR.get(str(row.country_iso2), 1.0)
        names.append(str(row.name))
        lats.append(float(row.lat))
        lons.append(float(row.lon))
        regions.append(region)
        weights.append(REGIONS[region].weight * factor)
    for name, lat, lon, region, factor in EXTRA_TOWNS:
        names.append(name)
        lats.append(lat)
        lons.append(lon)
        regions.append(region)
        weights.append(REGIONS[region].weight * factor)
    return _Hotspots(
        name=np.asarray(names, dtype=object),
        lat=np.asarray(lats),
        lon=np.asarray(lons),
        region=tuple(regions),
        weight=np.asarray(weights),
        sigma_km=np.asarray([REGIONS[r].sigma_km for r in regions]),
    )


def _draw_dates(rng: np.random.Generator, n: int, start: date, end: date) -> npt.NDArray[np.datetime64]:
    """Days weighted by a rising trend and dry-season seasonality."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    if len(days) == 0:
        raise ValueError(f"start {start} must not be after end {end}")
    progress = np.linspace(0.0, 1.0, len(days))
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    seasonality = 1.0 + 0.25 * np.cos(2 * np.pi * (day_of_year - 75) / 365.25)
    weights = (1.0 + 2.5 * progress) * seasonality
    return days[rng.choice(len(days), size=n, p=weights / weights.sum())]


def _draw_hotspots(
    rng: np.random.Generator, hotspots: _Hotspots, years: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Hotspot per event, with each region's share following its yearly trend."""
    result = np.empty(len(years), dtype=np.int64)
    for year in np.unique(years):
        trend = np.asarray([_trend(REGIONS[region].trend, int(year)) for region in hotspots.region])
        weights = hotspots.weight * trend
        mask = years == year
        result[mask] = rng.choice(len(weights), size=int(mask.sum()), p=weights / weights.sum())
    return result


def _trend(values: tuple[float, ...], year: int) -> float:
    return values[min(max(year - TREND_BASE_YEAR, 0), len(values) - 1)]


def _scatter(
    rng: np.random.Generator,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    sigma_km: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Gaussian scatter of ``sigma_km`` around each centre."""
    sigma_lat = sigma_km / KM_PER_DEGREE
    sigma_lon = sigma_lat / np.cos(np.radians(lat))
    return lat + rng.normal(size=len(lat)) * sigma_lat, lon + rng.normal(size=len(lon)) * sigma_lon


def _place_in_coverage(
    rng: np.random.Generator,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    sigma_km: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """Points scattered around the centres, with admin units; points outside every covered
    country are redrawn (a few times, then placed at their centre)."""
    placed = attach_admin_units(
        pd.DataFrame(dict(zip(("latitude", "longitude"), _scatter(rng, lat, lon, sigma_km), strict=True)))
    )
    for attempt in range(REDRAW_ATTEMPTS + 1):
        outside = np.flatnonzero(placed["country_iso3"].isna().to_numpy())
        if len(outside) == 0:
            break
        if attempt < REDRAW_ATTEMPTS:
            new_lat, new_lon = _scatter(rng, lat[outside], lon[outside], sigma_km[outside])
        else:  # last resort: the centre itself
            new_lat, new_lon = lat[outside], lon[outside]
        redrawn = attach_admin_units(pd.DataFrame({"latitude": new_lat, "longitude": new_lon}))
        placed.iloc[outside, :] = redrawn.to_numpy()
    return placed


def _follow_up_counts(n: int) -> tuple[int, ...]:
    """Follow-up rows per generation for ``n`` rows in all (the rest are background events)."""
    total = round(n * BURST_SHARE)
    counts: list[int] = []
    for share in BURST_GENERATIONS[:-1]:
        counts.append(min(round(total * share), total - sum(counts)))
    return (*counts, total - sum(counts))


def _draw_triggers(rng: np.random.Generator, candidates: int, wanted: int) -> npt.NDArray[np.int64]:
    """The trigger (a position among ``candidates``) of each of ``wanted`` follow-ups.

    Candidates in random order each bring a burst of geometric size until ``wanted`` is
    reached (the last burst is cut to fit), so only a small share of them trigger any.
    """
    if wanted == 0:
        return np.empty(0, dtype=np.int64)
    if candidates < 1:
        raise ValueError(f"{wanted} follow-up(s) need at least one event to follow")
    order = rng.permutation(candidates)
    sizes = rng.geometric(1.0 / BURST_MEAN_SIZE, size=candidates)
    ends = np.cumsum(sizes)
    if ends[-1] < wanted:  # only when follow-ups outnumber their candidates' bursts
        raise ValueError(f"{candidates} event(s) cannot trigger {wanted} follow-ups")
    triggers = int(np.searchsorted(ends, wanted)) + 1  # the first bursts that reach ``wanted``
    sizes = sizes[:triggers].copy()
    sizes[-1] -= int(ends[triggers - 1]) - wanted
    return np.repeat(order[:triggers], sizes).astype(np.int64)


@dataclass(frozen=True)
class _Events:
    """Dates, hotspots and placed points of the events, background first, then follow-ups."""

    dates: npt.NDArray[np.datetime64]
    spot: npt.NDArray[np.int64]
    placed: pd.DataFrame


def _draw_events(rng: np.random.Generator, hotspots: _Hotspots, n: int, start: date, end: date) -> _Events:
    """Background events around the hotspots, then generations of follow-ups (bursts)."""
    follow_ups = _follow_up_counts(n)
    dates = _draw_dates(rng, n - sum(follow_ups), start, end)
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    spot = _draw_hotspots(rng, hotspots, years)
    placed = _place_in_coverage(rng, hotspots.lat[spot], hotspots.lon[spot], hotspots.sigma_km[spot])
    all_dates, spots, places = [dates], [spot], [placed]
    last = np.datetime64(end, "D")
    for count in follow_ups:
        previous_dates, previous_spot, previous = all_dates[-1], spots[-1], places[-1]
        parent = _draw_triggers(rng, len(previous_dates), count)
        delay = np.minimum(1 + rng.exponential(BURST_DECAY_DAYS, count).astype(np.int64), BURST_MAX_DAYS)
        all_dates.append(np.minimum(previous_dates[parent] + delay.astype("timedelta64[D]"), last))
        spots.append(previous_spot[parent])
        places.append(
            _place_in_coverage(
                rng,
                previous["latitude"].to_numpy(dtype=float)[parent],
                previous["longitude"].to_numpy(dtype=float)[parent],
                np.full(count, BURST_SIGMA_KM),
            )
        )
    return _Events(np.concatenate(all_dates), np.concatenate(spots), pd.concat(places, ignore_index=True))


def _pick(rng: np.random.Generator, cumulative: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """One category per row from per-row cumulative probabilities (rows x categories)."""
    draws = rng.random(len(cumulative))
    return np.minimum((draws[:, None] > cumulative).sum(axis=1), cumulative.shape[1] - 1)


def _draw_fatalities(rng: np.random.Generator, event_type: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Zero-inflated negative binomial per event type (heavy right tail)."""
    p_zero, mean, dispersion = (
        np.asarray([FATALITY_MODEL[t][i] for t in range(len(EVENT_TYPES))])[event_type] for i in range(3)
    )
    extra_mean = np.maximum(mean - 1.0, 1e-9)
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + extra_mean))
    deadly = rng.random(len(event_type)) >= p_zero
    fatalities = np.where(deadly, counts + 1, 0)
    mass_share = np.asarray([MASS_CASUALTY_SHARE.get(t, 0.0) for t in range(len(EVENT_TYPES))])[event_type]
    mass = rng.random(len(event_type)) < mass_share
    pareto = rng.pareto(MASS_CASUALTY_SHAPE, len(event_type))
    tail = MASS_CASUALTY_MIN + np.round(pareto * MASS_CASUALTY_SCALE)
    fatalities = np.where(mass, np.maximum(fatalities, tail), fatalities)
    return np.minimum(fatalities, MAX_FATALITIES).astype(np.int64)


class _Vocab:
    """Distinct strings and their codes: rows hold int codes, not a million str objects."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    @classmethod
    def of(cls, names: Iterable[str]) -> _Vocab:
        vocab = cls()
        vocab.codes(names)
        return vocab

    def code(self, name: str) -> int:
        if name not in self._codes:
            self._codes[name] = len(self.names)
            self.names.append(name)
        return self._codes[name]

    def codes(self, names: Iterable[str]) -> npt.NDArray[np.int64]:
        return np.asarray([self.code(name) for name in names], dtype=np.int64)

    def column(self, codes: npt.NDArray[np.int64]) -> pd.api.extensions.ExtensionArray:
        """String column from codes (-1 is missing); a take is far cheaper than building strings."""
        return pd.array(self.names, dtype="string").take(codes, allow_fill=True)


def _draw_sub_event_types(
    rng: np.random.Generator, event_type: npt.NDArray[np.int64], vocab: _Vocab
) -> npt.NDArray[np.int64]:
    result = np.full(len(event_type), -1, dtype=np.int64)
    for code, (labels, probabilities) in SUB_EVENT_TYPES.items():
        mask = event_type == code
        result[mask] = vocab.codes(labels)[rng.choice(len(labels), size=int(mask.sum()), p=probabilities)]
    return result


@dataclass(frozen=True)
class _Countries:
    """The countries points fell in: a code per row, and iso3/name per code."""

    code: npt.NDArray[np.int64]
    iso3: tuple[str, ...]
    name: tuple[str, ...]


def _countries(placed: pd.DataFrame) -> _Countries:
    codes, uniques = pd.factorize(placed["country_iso3"])
    first_rows = np.unique(codes, return_index=True)[1]
    names = placed["country"].iloc[first_rows]
    return _Countries(codes.astype(np.int64), tuple(map(str, uniques)), tuple(map(str, names)))


@dataclass(frozen=True)
class _Actors:
    actor1: npt.NDArray[np.int64]  # codes into vocab
    actor2: npt.NDArray[np.int64]  # codes into vocab, -1 for none
    vocab: _Vocab
    state_first: npt.NDArray[np.bool_]  # actor1 is state or foreign forces
    on_civilians: npt.NDArray[np.bool_]  # actor2 is civilians


def _build_actors(
    rng: np.random.Generator,
    event_type: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    countries: _Countries,
    years: npt.NDArray[np.int64],
) -> _Actors:
    """actor1/actor2 by event type and armed group, named per country and year."""
    n = len(event_type)
    vocab = _Vocab()
    per_country = {
        label: vocab.codes(pattern.format(name) for name in countries.name)[countries.code]
        for label, pattern in (
            ("state", "Military Forces of {}"),
            ("civilians", "Civilians ({})"),
            ("protesters", "Protesters ({})"),
            ("unidentified", "Unidentified Armed Group ({})"),
        )
    }
    militia = vocab.codes(
        MILITIA_NAMES.get(iso3, f"Communal militia ({name})")
        for iso3, name in zip(countries.iso3, countries.name, strict=True)
    )[countries.code]
    first_year = int(years.min()) if n else TREND_BASE_YEAR
    year_index = years - first_year
    year_span = range(first_year, first_year + (int(year_index.max()) + 1 if n else 1))
    foreign = np.asarray(
        [[vocab.code(_foreign_force(iso3, year)) for year in year_span] for iso3 in countries.iso3],
        dtype=np.int64,
    ).reshape(len(countries.iso3), len(year_span))[countries.code, year_index]
    rebels = np.asarray(
        [
            [vocab.code(_rebel_name(iso3, year, name)) for year in year_span]
            for iso3, name in zip(countries.iso3, countries.name, strict=True)
        ],
        dtype=np.int64,
    ).reshape(len(countries.iso3), len(year_span))[countries.code, year_index]
    jnim, is_sahel = vocab.code(GROUP_NAMES[JNIM]), vocab.code(GROUP_NAMES[IS_SAHEL])

    def armed(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.select(
            [codes == JNIM, codes == IS_SAHEL, codes == MILITIA, codes == REBELS],
            [jnim, is_sahel, militia, rebels],
            default=per_country["unidentified"],
        )

    foreign_share = np.asarray([FOREIGN_SHARE.get(iso3, 0.0) for iso3 in countries.iso3])[countries.code]
    state_side = np.where(rng.random(n) < foreign_share, foreign, per_country["state"])
    role = rng.random(n)  # decides who attacks whom within an event type
    perpetrator = armed(group)
    rival = armed(np.asarray([RIVALS.get(code, MILITIA) for code in range(len(GROUPS))])[group])

    battle, explosion = event_type == BATTLE, event_type == EXPLOSION
    state_first = (
        (battle & (role < 0.55))
        | (explosion & (role < 0.25))
        | ((event_type == VAC) & (role < 0.15))
        | ((event_type == STRATEGIC) & (role < 0.40))
    )
    on_civilians = (event_type == VAC) | (event_type == ABDUCTION) | (explosion & (role >= 0.75))
    actor1 = np.select(
        [state_first, event_type == PROTEST], [state_side, per_country["protesters"]], default=perpetrator
    )
    actor2 = np.select(
        [on_civilians, state_first & (battle | explosion), battle & (role < 0.80), battle | explosion],
        [per_country["civilians"], perpetrator, rival, per_country["state"]],
        default=-1,
    )
    return _Actors(actor1, actor2, vocab, state_first, on_civilians)


def _actor_groups(actors: _Actors) -> pd.api.extensions.ExtensionArray:
    """derive_actor_group on each distinct (actor1, actor2) pair, spread to the rows."""
    width = len(actors.vocab.names) + 1
    pairs, inverse = np.unique(actors.actor1 * width + actors.actor2 + 1, return_inverse=True)
    names = np.asarray([*actors.vocab.names, None], dtype=object)  # index -1 -> None
    first = pd.Series(names[pairs // width], dtype="string")
    second = pd.Series(names[pairs % width - 1], dtype="string")
    groups = _Vocab()
    codes = groups.codes(derive_actor_group(first, second))
    return groups.column(codes[inverse.ravel()])


def generate_demo_incidents(
    n: int = DEMO_ROWS,
    seed: int = DEMO_SEED,
    start: date = DEMO_START,
    end: date = DEMO_END,
) -> pd.DataFrame:
    """``n`` synthetic canonical incidents (``source_dataset = "demo"``), deterministic per seed.

    See the module docstring for the assumptions behind the mix.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    rng = np.random.default_rng(seed)
    hotspots = _load_hotspots()

    events = _draw_events(rng, hotspots, n, start, end)
    dates, spot, placed = events.dates, events.spot, events.placed
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970

    capital = np.asarray([REGIONS[r].capital for r in hotspots.region])[spot]
    type_cumulative = np.where(capital[:, None], np.cumsum(TYPE_MIX_CAPITAL), np.cumsum(TYPE_MIX_FIELD))
    event_type = _pick(rng, type_cumulative)
    group_cumulative = np.cumsum(np.asarray([REGIONS[r].groups for r in hotspots.region]), axis=1)[spot]
    group = _pick(rng, group_cumulative)
    actors = _build_actors(rng, event_type, group, _countries(placed), years)

    sub_vocab = _Vocab()
    sub_event_type = _draw_sub_event_types(rng, event_type, sub_vocab)
    sub_event_type[(event_type == EXPLOSION) & actors.state_first] = sub_vocab.code(DRONE_SUB_EVENT)
    fatalities = _draw_fatalities(rng, event_type)
    geo_values, geo_p = GEO_PRECISION_MIX
    geo_precision = np.asarray(geo_values, dtype=np.int8)[rng.choice(len(geo_values), size=n, p=geo_p)]
    date_values, date_p = DATE_PRECISION_MIX
    date_precision = rng.choice(len(date_values), size=n, p=date_p)

    lat = placed["latitude"].to_numpy(dtype=float)
    lon = placed["longitude"].to_numpy(dtype=float)
    distance_km = np.hypot(
        (lat - hotspots.lat[spot]) * KM_PER_DEGREE,
        (lon - hotspots.lon[spot]) * KM_PER_DEGREE * np.cos(np.radians(lat)),
    )
    places = _Vocab()
    at_place = places.codes(hotspots.name)
    near_place = places.codes("near " + name for name in hotspots.name)
    location = np.where(distance_km > NEAR_KM, near_place[spot], at_place[spot])
    width = max(6, len(str(n)))
    event_ids = pd.Series(np.arange(1, n + 1)).astype("string").str.zfill(width)

    frame = pd.DataFrame(
        {
            "source_dataset": "demo",
            "source_event_id": "DEMO-" + event_ids,
            "event_date": dates.astype("datetime64[ns]"),
            "date_precision": _Vocab.of(date_values).column(date_precision),
            **{column: placed[column] for column in placed.columns},
            "location": places.column(location),
            "geo_precision": geo_precision,
            "event_type": _Vocab.of(EVENT_TYPES).column(event_type),
            "sub_event_type": sub_vocab.column(sub_event_type),
            "actor1": actors.vocab.column(actors.actor1),
            "actor2": actors.vocab.column(actors.actor2),
            "actor_group": _actor_groups(actors),
            "fatalities": fatalities,
            "civilian_targeting": actors.on_civilians,
            "notes": DEMO_NOTE,
            "source": f"Synthetic: Sahel dashboard demo generator (seed {seed})",
        }
    )
    return conform_incidents(frame)


# ---- loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLoadResult:
    """Rows added by :func:`load_demo` (0 when they were already stored)."""

    demo_added: int
    ucdp_added: int

    @property
    def total_added(self) -> int:
        return self.demo_added + self.ucdp_added


def demo_checksum(n: int, seed: int, start: date = DEMO_START, end: date = DEMO_END) -> str:
    """Stands in for a file checksum: identifies the generator version and its parameters."""
    text = f"{DEMO_GENERATOR_VERSION}|n={n}|seed={seed}|start={start}|end={end}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add_new_rows(store: IncidentStore, frame: pd.DataFrame, file_name: str, sha256: str, fmt: str) -> int:
    """Write the rows whose ids are not stored yet as one batch; write nothing if none are new."""
    stored = store.existing_incident_ids(frame["incident_id"])
    new = frame[~frame["incident_id"].isin(stored)]
    if new.empty:
        return 0
    meta = BatchMeta(
        file_name=file_name,
        sha256=sha256,
        format=fmt,
        rows_read=len(frame),
        rows_duplicate=len(frame) - len(new),
    )
    return store.add_batch(new, meta).rows_accepted


def load_demo(store: IncidentStore, *, n: int = DEMO_ROWS, seed: int = DEMO_SEED) -> DemoLoadResult:
    """Store the synthetic rows and the real UCDP sample, each as its own batch; idempotent.

    An explicit load: it also lifts an earlier :func:`remove_demo` (the ``demo_removed`` flag).

    Only rows whose ids are not stored yet are written. Demo ids are positional
    (``DEMO-000001``…), so a second call, even with another seed, adds nothing already there.
    """
    demo = generate_demo_incidents(n=n, seed=seed)
    demo_added = _add_new_rows(store, demo, DEMO_FILE_NAME, demo_checksum(n, seed), DEMO_FORMAT)
    if store.meta_value(DEMO_REMOVED_KEY):
        store.set_meta_value(DEMO_REMOVED_KEY, 0)  # asked for explicitly: the removal no longer holds
    ucdp = read_ucdp_ged(UCDP_SAMPLE_FILE)
    ucdp_added = _add_new_rows(store, ucdp, UCDP_SAMPLE_FILE.name, _file_sha256(UCDP_SAMPLE_FILE), "ucdp")
    return DemoLoadResult(demo_added=demo_added, ucdp_added=ucdp_added)


def ensure_demo_loaded(store: IncidentStore, *, n: int = DEMO_ROWS) -> bool:
    """Load the demo data only into a store that has never held a batch (the app's first start).

    A store whose batches were all undone stays empty: the user chose to remove the demo.
    A store whose demo was removed (:func:`remove_demo`) never gets it back this way.
    Whether the app may call this at all is :func:`demo_may_autoload`'s answer.
    """
    if store.meta_value(DEMO_REMOVED_KEY):
        return False
    if store.count_incidents() > 0 or not store.list_batches().empty:
        return False
    load_demo(store, n=n)
    return True


def demo_may_autoload(env: Mapping[str, str] | None = None) -> bool:
    """Whether the app may load the demo at start: only into the embedded default store.

    Never into a store named by ``SAHEL_DB_URL`` (a shared or production database, even a
    new empty one) and never when ``SAHEL_DEMO=off``. Raises
    :class:`~incidents.errors.SettingError` for a ``SAHEL_DEMO`` value it cannot read.
    """
    return demo_enabled(env) and not db_url(env)


def demo_batch_ids(store: IncidentStore) -> list[str]:
    """Committed batches of synthetic demo rows (format ``demo``), oldest first."""
    batches = store.list_batches()
    if batches.empty:
        return []
    keep = (batches["format"] == DEMO_FORMAT) & (batches["status"] == "committed")
    return [str(batch_id) for batch_id in reversed(batches.loc[keep, "batch_id"].tolist())]


@dataclass(frozen=True)
class DemoRemoval:
    """What :func:`remove_demo` did: the batches undone and the rows they held."""

    batch_ids: tuple[str, ...]
    rows_removed: int


def remove_demo(store: IncidentStore, user: User) -> DemoRemoval:
    """Undo every synthetic demo batch in one transaction, as ``user`` (admins only); audited.

    The UCDP sample loaded beside the demo holds real events and stays. The store remembers
    the removal (``store_meta`` key ``demo_removed``), so the app never loads the demo into
    it again at start; :func:`load_demo` (``python -m incidents demo``) brings it back.
    Nothing to remove is not an error: the flag is set and no row changes.
    """
    require(user, Permission.UNDO_ANY)
    batch_ids = demo_batch_ids(store)
    removed = store.undo_batches(
        batch_ids,
        user_name=user.name,
        role=str(user.role),
        action=DEMO_REMOVE_ACTION,
        meta={DEMO_REMOVED_KEY: 1},
    )
    return DemoRemoval(tuple(batch_ids), removed)
