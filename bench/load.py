"""Load benchmark: N people using one dashboard at once, each session a real one.

    python bench/load.py --sessions 30 --rows 1000000 --seconds 120
    python bench/load.py --sessions 30 --rows 1000000 --instances 2 --backend postgresql
    python bench/load.py --sessions 30 --rows 1000000 --client browser

Fills a fresh store with R synthetic incidents, starts ``--instances`` dashboard servers
(``streamlit run dashboard/app.py``, local mode) on it, and opens N sessions spread over them.
Each session opens the Overview on the three focus countries, then for ``--seconds`` repeats the
interactions people make: another page from the sidebar menu (Map, Timeline, Risk heatmap,
Overview) and another period in the sidebar filter.

Two kinds of client:

* ``--client protocol`` (default): each session speaks Streamlit's websocket protocol as its
  frontend does and draws nothing (bench/streamlit_protocol.py), so the machine's cores go to
  the servers. An interaction runs from the request to the end of the run it caused; each
  period change is checked in the page's address. ``--think S`` adds S seconds of reading
  after each interaction (0: every session asks again at once, the server's saturation);
  ``--ramp S`` spreads the sessions' arrivals over S seconds (0: all at the same instant).
* ``--client browser``: one headless Chromium, a context per session (its own cookies and
  websocket), clicking as people do. An interaction runs from the click until the page has
  settled: the end of the last server run it caused (read from the Streamlit messages on the
  session's websocket; a map page reruns as the map reports its view), once no new run starts
  for 0.6 s (not counted). On one machine the browsers' drawing takes the same cores.

Server memory is the resident size of each server process, sampled every 0.5 s.
Every server is first warmed (one untimed pass over every page and period: its first visitor
loads the incidents), then one session alone (the baseline memory of a warm server with one
person), then N.
Prints one JSON object: p50/p95/max latency per kind of interaction and overall, errors,
interactions per session, each server's memory after one session and at its peak under N,
the increment per extra session, and the CPU seconds the servers and the clients used in each
phase. Exits non-zero on any error (the CI smoke runs: ``--sessions 3 --rows 10000
--seconds 20``, with each client), never on a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from google.protobuf.message import DecodeError

# The wire format only (protobuf classes), to read the server's messages: no Streamlit UI here.
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251

from bench.common import Sampler, add_answers_argument, add_backend_arguments, bench_store_url, fill_store

#: Sidebar menu entries a session cycles through, the heading each page shows and its address.
PAGES = (
    ("Map", "Incident map", "map"),
    ("Timeline", "Timeline", "timeline"),
    ("Risk heatmap", "Risk heatmap", "risk_heatmap"),
    ("Overview", "Overview", ""),
)
#: The sidebar's period select box (its widget key).
PERIOD_KEY = "filter_period"
#: Period options a session cycles through (each differs from the one before it).
PERIODS = ("Last 90 days", "All dates", "Last 30 days", "Last 365 days")
#: What each period writes into the page's address (the protocol client checks its choice took).
PERIOD_CODES = {
    "Last 90 days": "last_90",
    "All dates": "all",
    "Last 30 days": "last_30",
    "Last 365 days": "last_365",
}
FIRST_QUERY = "country=MLI&country=BFA&country=NER&period=last_365"
#: The country selections sessions start from with ``--views 3``: each session's filters then
#: differ from most others' (12 filters with the 4 periods: more than a server keeps shared).
VIEW_QUERIES = (
    FIRST_QUERY,
    "country=MLI&period=last_365",
    "country=BFA&country=NER&period=last_365",
)
TIMEOUT_MS = 180_000
#: N sessions are N pages of one browser: all must work as if each were the one in front
#: (Chromium otherwise slows the timers and drawing of pages it considers hidden).
EVERY_PAGE_IN_FRONT = (
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
)

#: A page has settled once no run has been in progress for this long (a map page reruns once
#: or twice as the map reports its view and the filters are written into the address).
QUIET_S = 0.6


class RunWatch:
    """When the server started and finished the runs of one session's page, read from the
    Streamlit messages on its websocket (``new_session`` starts a run, ``script_finished``
    ends it): what the server did, whatever the browser has drawn yet."""

    def __init__(self, page: Any) -> None:
        self.events: list[tuple[float, str]] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(payload)
        except DecodeError:
            return
        kind = message.WhichOneof("type")
        if kind in ("new_session", "script_finished"):
            self.events.append((time.perf_counter(), "start" if kind == "new_session" else "end"))

    async def settled_since(self, start: float) -> tuple[float, float]:
        """Seconds from ``start`` to the end of the last run begun since (after QUIET_S without
        another), and from the first of those runs' start to that end: the server's part."""
        deadline = start + TIMEOUT_MS / 1000
        while time.perf_counter() < deadline:
            since = [(at, kind) for at, kind in self.events if at >= start]
            ends = [at for at, kind in since if kind == "end"]
            quiet = bool(ends) and time.perf_counter() - ends[-1] >= QUIET_S
            if quiet and not any(kind == "start" and at > ends[-1] for at, kind in since):
                first_start = min((at for at, kind in since if kind == "start"), default=start)
                return ends[-1] - start, ends[-1] - first_start
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the page did not settle within {TIMEOUT_MS / 1000:.0f} s")


class MemorySampler(Sampler):
    """Peak and last resident memory (MB) of each server process, read from /proc every 0.5 s."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(0.5, name="server-rss")
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self.last = dict.fromkeys(pids, 0.0)

    def reset_peaks(self) -> None:
        self.peak = {pid: self.last[pid] for pid in self.pids}

    def sample(self) -> None:
        for pid in self.pids:
            rss = _rss_mb(pid)
            self.last[pid] = rss
            self.peak[pid] = max(self.peak[pid], rss)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _settled(page: Any) -> None:
    """Until the page shows its title and no run has been in progress for QUIET_S (a click during
    a rerun can be lost, as a person's would be)."""
    await page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    idle = "[data-testid=stApp][data-test-script-state=notRunning]"
    while True:
        await page.wait_for_selector(idle, timeout=TIMEOUT_MS)
        await page.wait_for_timeout(QUIET_S * 1000)
        if await page.locator(idle).count():
            return


async def _timed_run(watch: RunWatch, action: Any, results: dict[str, list[float]], kind: str) -> None:
    """Time ``action`` (a click or a choice) until the page has settled after the runs it caused:
    as the person sees it (``kind``), and the server's part alone (``server``: from the first
    run's start, so without the browser's own delay in sending the change)."""
    start = time.perf_counter()
    await action()
    seen, server = await watch.settled_since(start)
    results[kind].append(seen)
    results["server"].append(server)


async def one_session(
    browser: Any, url: str, seconds: float, index: int, results: dict[str, list[float]], errors: list[str]
) -> int:
    """One person: open the Overview, then change page and period until ``seconds`` have passed."""
    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)  # a busy machine is slow, not wrong
    page = await context.new_page()
    watch = RunWatch(page)
    done = 0
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/?{FIRST_QUERY}", timeout=TIMEOUT_MS)
        await _settled(page)
        results["open"].append(time.perf_counter() - start)
        deadline = time.monotonic() + seconds
        step = index  # sessions start at different places of the cycle
        shown, period = "Overview", "Last 365 days"
        while time.monotonic() < deadline:
            menu, heading, _path = PAGES[step % len(PAGES)]
            if menu != shown:  # the menu entry of the page shown would not run anything
                link = page.locator("[data-testid=stSidebarNav] a", has_text=menu).first
                await _timed_run(watch, link.click, results, "page")
                await page.get_by_role("heading", name=heading).first.wait_for()
                shown, done = menu, done + 1
            if PERIODS[step % len(PERIODS)] != period:
                period = PERIODS[step % len(PERIODS)]

                async def choose(option: str = period) -> None:  # as a person types into the box
                    await page.locator(f".st-key-{PERIOD_KEY} input").click()
                    await page.keyboard.type(option)
                    await page.keyboard.press("Enter")

                await _timed_run(watch, choose, results, "filter")
                done += 1
            step += 1
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported, the run goes on
        first_line = (str(error).splitlines() or [""])[0][:200]
        where = f"{page.url} {await page.locator('h1').all_inner_texts()}"
        errors.append(f"session {index}: {type(error).__name__}: {first_line} (at {where})")
    finally:
        await context.close()
    return done


async def warm_up(urls: list[str]) -> None:
    """Each server once through every page and period, untimed: a deployed server has had its
    first visitor (who waits for the incidents to load and the caches to fill), so measured
    sessions find it warm, as people in a briefing do."""
    from bench.streamlit_protocol import ProtocolSession

    for url in urls:
        async with ProtocolSession(url, TIMEOUT_MS / 1000) as session:
            await session.open(FIRST_QUERY)
            for _menu, _heading, path in PAGES:
                await session.open_page(path)
                for period in PERIODS:
                    await session.choose(PERIOD_KEY, period)


async def one_protocol_session(
    url: str,
    seconds: float,
    think: float,
    delay: float,
    views: int,
    index: int,
    results: dict[str, list[float]],
    errors: list[str],
) -> int:
    """One person as Streamlit's frontend speaks (bench/streamlit_protocol.py), arriving after
    ``delay`` seconds: the same page and period changes as :func:`one_session`, each timed from
    the request to the end of its run, then ``think`` seconds of reading before the next."""
    from bench.streamlit_protocol import ProtocolSession, SessionError

    done = 0
    await asyncio.sleep(delay)
    try:
        async with ProtocolSession(url, TIMEOUT_MS / 1000) as session:
            results["open"].append(await session.open(VIEW_QUERIES[index % views]))
            deadline = time.monotonic() + seconds
            step = index  # sessions start at different places of the cycle
            shown, period = "", "Last 365 days"
            while time.monotonic() < deadline:
                _menu, _heading, path = PAGES[step % len(PAGES)]
                if path != shown:
                    results["page"].append(await session.open_page(path))
                    results["server"].append(results["page"][-1] - session.last_wait_s)
                    shown, done = path, done + 1
                    await asyncio.sleep(think)
                if PERIODS[step % len(PERIODS)] != period:
                    period = PERIODS[step % len(PERIODS)]
                    results["filter"].append(await session.choose(PERIOD_KEY, period))
                    if f"period={PERIOD_CODES[period]}" not in session.query_string.split("&"):
                        raise SessionError(f"chose {period!r}, the address says {session.query_string!r}")
                    results["server"].append(results["filter"][-1] - session.last_wait_s)
                    done += 1
                    await asyncio.sleep(think)
                step += 1
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported, the run goes on
        first_line = (str(error).splitlines() or [""])[0][:200]
        errors.append(f"session {index}: {type(error).__name__}: {first_line}")
    return done


async def run_protocol_sessions(
    urls: list[str], sessions: int, seconds: float, think: float, ramp: float, views: int = 1
) -> dict[str, Any]:
    results: dict[str, list[float]] = {"open": [], "page": [], "filter": [], "server": []}
    errors: list[str] = []
    counts = await asyncio.gather(
        *(
            one_protocol_session(
                urls[i % len(urls)], seconds, think, ramp * i / sessions, views, i, results, errors
            )
            for i in range(sessions)
        )
    )
    return {"results": results, "errors": errors, "interactions": list(counts)}


async def run_sessions(urls: list[str], sessions: int, seconds: float) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from tests.servers import CHROMIUM, CHROMIUM_ARGS

    results: dict[str, list[float]] = {"open": [], "page": [], "filter": [], "server": []}
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *EVERY_PAGE_IN_FRONT]
        )
        try:
            counts = await asyncio.gather(
                *(
                    one_session(browser, urls[i % len(urls)], seconds, i, results, errors)
                    for i in range(sessions)
                )
            )
        finally:
            await browser.close()
    return {"results": results, "errors": errors, "interactions": list(counts)}


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_s": round(statistics.median(ordered), 2),
        "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_s": round(ordered[-1], 2),
    }


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes ``pids`` (from /proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _own_chromium_pids() -> list[int]:
    """Chromium processes started by this process (not another benchmark's browsers)."""
    me, pids = os.getpid(), []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"chromium" not in entry.read_bytes().split(b"\0")[0]:
                continue
        except OSError:
            continue
        pid = ancestor = int(entry.parent.name)
        for _ in range(12):
            ancestor = _parent(ancestor)
            if ancestor in (me, 0, 1):
                break
        if ancestor == me:
            pids.append(pid)
    return pids


class ChromiumCpu(Sampler):
    """CPU seconds the Chromium processes of this benchmark used while it watched (sampled every
    second: a renderer that exits between samples loses at most its last second)."""

    def __init__(self) -> None:
        super().__init__(1.0, name="chromium-cpu")
        self.seconds: dict[int, float] = {}
        self._before = {pid: _cpu_seconds([pid]) for pid in _own_chromium_pids()}

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def sample(self) -> None:
        for pid in _own_chromium_pids():
            self.seconds[pid] = _cpu_seconds([pid]) - self._before.get(pid, 0.0)


def _phase(
    urls: list[str],
    sessions: int,
    seconds: float,
    memory: MemorySampler,
    client: str,
    think: float,
    ramp: float = 0.0,
    views: int = 1,
) -> dict[str, Any]:
    memory.reset_peaks()
    server_before, wall_before = _cpu_seconds(memory.pids), time.perf_counter()
    own_before = _cpu_seconds([os.getpid()])
    with ChromiumCpu() as browsers:
        if client == "browser":
            outcome = asyncio.run(run_sessions(urls, sessions, seconds))
        else:
            outcome = asyncio.run(run_protocol_sessions(urls, sessions, seconds, think, ramp, views))
    wall = time.perf_counter() - wall_before
    server_cpu = _cpu_seconds(memory.pids) - server_before
    # The clients' CPU: the browsers, or this process speaking the protocol (and sampling).
    clients_cpu = browsers.total if client == "browser" else _cpu_seconds([os.getpid()]) - own_before
    results = outcome["results"]
    interactions = results["page"] + results["filter"]
    return {
        "sessions": sessions,
        "errors": outcome["errors"],
        "interactions_per_session": outcome["interactions"],
        "latency": {
            "interaction": _summary(interactions),
            "page_change": _summary(results["page"]),
            "filter_change": _summary(results["filter"]),
            "first_open": _summary(results["open"]),
            "server_part": _summary(results["server"]),
        },
        "server_rss_peak_mb": [round(memory.peak[pid]) for pid in memory.pids],
        "server_rss_end_mb": [round(memory.last[pid]) for pid in memory.pids],
        # Where the machine's CPU went: the servers, and the browsers standing in for people.
        "wall_s": round(wall, 1),
        "cpu_s": {"servers": round(server_cpu, 1), "clients": round(clients_cpu, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each session keeps interacting")
    parser.add_argument("--instances", type=int, default=1, help="dashboard servers sharing the store")
    parser.add_argument(
        "--client",
        choices=("protocol", "browser"),
        default="protocol",
        help="protocol: sessions speak Streamlit's websocket protocol and draw nothing (the server's "
        "measure); browser: headless Chromium pages (what people see, on the same cores)",
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="protocol client: seconds of reading after each interaction"
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="protocol client: the N sessions arrive evenly over this many seconds (0: all at once)",
    )
    add_backend_arguments(parser)
    add_answers_argument(parser)
    parser.add_argument(
        "--views",
        type=int,
        choices=range(1, len(VIEW_QUERIES) + 1),
        default=1,
        help="protocol client: how many country selections the sessions are spread over (1: one "
        "meeting looking at the same view; 3: people exploring apart)",
    )
    args = parser.parse_args()
    if args.instances > 1 and args.backend == "sqlite":
        parser.error("two instances share a PostgreSQL store: add --backend postgresql")

    from incidents.settings import query_answers
    from tests.servers import app_servers

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_store_url(args.backend, Path(tmp), args.pg_url) as db_url,
    ):
        store, fill_s = fill_store(args.rows, db_url)
        store.close()
        answers = {"SAHEL_QUERIES": args.answers}
        with app_servers(db_url, Path(tmp), count=args.instances, env_extra=answers) as servers:
            pids = _server_pids(servers)
            with MemorySampler(pids) as memory:
                urls = [server.url for server in servers]
                asyncio.run(warm_up(urls))
                one = _phase(urls[:1], 1, min(args.seconds, 30.0), memory, args.client, args.think)
                many = _phase(
                    urls, args.sessions, args.seconds, memory, args.client, args.think, args.ramp, args.views
                )
    base = one["server_rss_peak_mb"][0]
    peak = max(many["server_rss_peak_mb"])
    extra = max(0, many["sessions"] // args.instances - 1)  # sessions per server beyond the first
    report = {
        "benchmark": "load",
        "backend": args.backend,
        "rows": args.rows,
        "instances": args.instances,
        "client": args.client,
        "answers": query_answers(args.backend, {"SAHEL_QUERIES": args.answers}),
        "think_s": args.think if args.client == "protocol" else None,
        "ramp_s": args.ramp if args.client == "protocol" else None,
        "views": args.views if args.client == "protocol" else None,
        "fill_store_s": round(fill_s, 1),
        "one_session": one,
        "n_sessions": many,
        "memory": {
            "one_session_mb": base,
            "peak_under_n_mb": many["server_rss_peak_mb"],
            "peak_over_one_session": round(peak / base, 2) if base else None,
            "mb_per_extra_session": round((peak - base) / extra, 1) if extra else None,
        },
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    if one["errors"] or many["errors"]:
        raise SystemExit(f"{len(one['errors']) + len(many['errors'])} session(s) failed (see 'errors')")


def _server_pids(servers: list[Any]) -> list[int]:
    """The process ids of the servers, found by the port each listens on (their command lines)."""
    pids = []
    for server in servers:
        for status in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                command = status.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in command and str(server.port).encode() in command:
                pids.append(int(status.parent.name))
                break
    return pids


if __name__ == "__main__":
    main()
