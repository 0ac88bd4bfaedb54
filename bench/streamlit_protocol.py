"""One dashboard session as Streamlit's own frontend speaks to the server, with no browser.

Why: on one 2-core machine, 30 Chromium pages drawing maps take most of the CPU (the browser
client of bench/load.py measured 432 CPU-seconds for the browsers against 76 for the server),
so a load test with browsers measures the browsers. This client sends what the frontend sends
(``BackMsg`` protobufs on the websocket at ``/_stcore/stream``: a rerun with the page, the
address's query string and the value of the widget that changed) and reads what the server
answers (``ForwardMsg``: a run's start, its elements, its end); it draws nothing.

What it leaves out, so what a browser session costs the server on top: a folium map reports its
view once drawn, which reruns the Map page once more; large elements the browser already holds
are not asked for again (this client asks for every element in full, as a new browser does).
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any, Final

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: TID251 - the wire format only
from streamlit.proto.ClientState_pb2 import ContextInfo  # noqa: TID251
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: TID251

#: Prefix of the element ids Streamlit generates; a widget's own key ends the id.
_ID_PREFIX: Final = "$$ID-"
_FINISHED_EARLY: Final = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
_COMPILE_ERROR: Final = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
#: A fragment's own rerun (e.g. a timed refresh) ends this way: not the end of the page's run.
_FRAGMENT_RUN: Final = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
#: Put in the queue of finished runs when the connection ends (not a status the server sends).
_DISCONNECTED: Final = -1


class SessionError(RuntimeError):
    """The server answered a run with an exception or a compile error, or stopped answering."""


class ProtocolSession:
    """A person's session on the server at ``base_url``: open it, change pages and widgets.

    Each call returns once the run it asked for has finished (``script_finished``; a run the
    script itself restarted is followed to its end), with the seconds it took from sending.
    """

    def __init__(self, base_url: str, timeout_s: float = 180.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self.query_string = ""
        #: ``url_pathname`` of each page ("" for the default page) -> its script hash.
        self.pages: dict[str, str] = {}
        #: Widget key -> element id, and the options of select boxes, from the server's elements.
        self.widget_ids: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        #: Seconds from a run's request to its first ``new_session`` (the server's queue).
        self.last_wait_s = 0.0
        self._page_hash = ""
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._finished: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
        self._lost: BaseException | None = None  # why the connection ended, if it did
        self._started: list[float] = []
        self._exceptions: list[str] = []

    async def __aenter__(self) -> ProtocolSession:
        from websockets.asyncio.client import connect

        self._socket = await connect(
            self._base_url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            origin=self._base_url,  # type: ignore[arg-type]
            max_size=None,  # a map page's elements are megabytes
            open_timeout=self._timeout_s,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._socket is not None:
            await self._socket.close()

    async def open(self, query_string: str) -> float:
        """The first run, as a browser opening ``/?query_string`` (the default page)."""
        self.query_string = query_string
        return await self._rerun()

    async def open_page(self, path: str) -> float:
        """Another page, as a click on its sidebar menu entry (``path``: its ``url_pathname``)."""
        if path not in self.pages:
            raise SessionError(f"no page {path!r} in the menu: {sorted(self.pages)}")
        self._page_hash = self.pages[path]
        return await self._rerun()

    async def choose(self, key: str, label: str) -> float:
        """Pick the first option starting with ``label`` in the select box with widget key ``key``
        (as a person types it and presses Enter)."""
        if key not in self.widget_ids:
            raise SessionError(f"no widget {key!r} on the page: {sorted(self.widget_ids)}")
        options = [option for option in self.options.get(key, []) if option.startswith(label)]
        if not options:
            raise SessionError(f"no option of {key!r} starts with {label!r}: {self.options.get(key)}")
        return await self._rerun(WidgetState(id=self.widget_ids[key], string_value=options[0]))

    async def _rerun(self, *widgets: WidgetState) -> float:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self._page_hash
        state.widget_states.widgets.extend(widgets)
        state.context_info.CopyFrom(ContextInfo(timezone="UTC", locale="en-US", url=self._base_url))
        while not self._finished.empty():
            self._finished.get_nowait()
        self._exceptions.clear()
        self._started.clear()
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        deadline = start + self._timeout_s  # for the whole run, however many messages it takes
        while True:
            try:
                at, status = await asyncio.wait_for(self._finished.get(), deadline - time.perf_counter())
            except TimeoutError:
                raise SessionError(f"no answer within {self._timeout_s:.0f} s") from None
            if status == _DISCONNECTED:
                raise SessionError(f"the connection ended: {self._lost!r}") from self._lost
            if status == _COMPILE_ERROR:
                raise SessionError("the page did not compile")
            if status not in (_FINISHED_EARLY, _FRAGMENT_RUN):
                break
        self.last_wait_s = (self._started[0] - start) if self._started else 0.0
        if self._exceptions:
            raise SessionError(f"the page raised: {self._exceptions[0][:200]}")
        return at - start

    async def _read(self) -> None:
        try:
            async for frame in self._socket:
                if isinstance(frame, bytes):
                    self._handle(frame)
            self._lost = ConnectionError("closed by the server")
        except Exception as exc:  # noqa: BLE001 - kept for the waiting run's error message
            self._lost = exc
        finally:
            # Whoever waits for a run learns at once that none will come.
            self._finished.put_nowait((time.perf_counter(), _DISCONNECTED))

    def _handle(self, frame: bytes) -> None:
        message = ForwardMsg()
        message.ParseFromString(frame)
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._started.append(time.perf_counter())
            self._pages_from(message.new_session.app_pages, message.new_session.page_script_hash)
        elif kind == "navigation":
            self._pages_from(message.navigation.app_pages, message.navigation.page_script_hash)
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element)
        elif kind == "script_finished":
            self._finished.put_nowait((time.perf_counter(), message.script_finished))

    def _pages_from(self, pages: Any, current: str) -> None:
        for page in pages:
            self.pages[page.url_pathname] = page.page_script_hash
            if page.is_default:
                self.pages[""] = page.page_script_hash
        if current:
            self._page_hash = current

    def _element(self, element: Any) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self._exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        widget = getattr(element, kind, None) if kind else None
        element_id = getattr(widget, "id", "")
        if isinstance(element_id, str) and element_id.startswith(_ID_PREFIX):
            key = element_id[len(_ID_PREFIX) :].split("-", 1)[-1]
            if key and key != "None":
                self.widget_ids[key] = element_id
                if kind == "selectbox" and widget is not None:
                    self.options[key] = list(widget.options)
