"""The pyarrow fast path of ``read_raw_table`` must give exactly what the csv-module path gives."""

from __future__ import annotations

import pandas as pd
import pytest

import incidents.ingest.table as table
from incidents.ingest.table import read_raw_table

CLEAN = [
    "a,b,c\n1,2,3\n4,5,6\n",
    "a,b,c\r\n1, 2 ,3\r\n4,,6",
    '\ufeffid,notes,lat\n1,"says ""hi"", then left",14.5\n2,"a, b",\n',
    "id;note\n1;  été  \n2;日本\n",
    "id\tx\n1\t\n2\t \n",
    'a,b\n1,"x"\n2,""\n',
    "a,b\n",
]
FALLBACK = [
    'id,notes\n1,"two\nlines"\n2,x\n',  # quoted newline
    "a,b\n1,2\n\n3,4\n",  # blank line
    "a,b\n1,2,3\n4\n",  # ragged rows
    "a,b\n#x,#y\n1,2\n",  # HXL row
    'a,b\n1,"x" y\n2,z\n',  # sloppy quotes
    "a,b\n1,2\n,\n3,4\n",  # all-blank row
    "a,b,\n1,2,\n",  # trailing unnamed column
    'a,b\n1,x"y\n',  # quote inside an unquoted cell
]


def _general(monkeypatch: pytest.MonkeyPatch, data: bytes):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as patch:
        patch.setattr(table, "_arrow_table", lambda *args, **kwargs: None)
        return read_raw_table(data, file_name="f.csv")


def _same(fast, slow) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.lines.tolist() == slow.lines.tolist()
    assert (fast.encoding, fast.delimiter, fast.warnings) == (slow.encoding, slow.delimiter, slow.warnings)


@pytest.mark.parametrize("text", CLEAN)
def test_clean_files_take_the_fast_path_and_match(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not table._ARROW_STRINGS:
        pytest.skip("pandas does not store strings in pyarrow here")
    data = text.encode("utf-8")
    decoded, encoding, warnings = table._decode(data, "f.csv")
    header = table._arrow_header(decoded, encoding, table._sniff_delimiter(decoded), "f.csv")
    assert header is not None
    assert table._arrow_table(data, header, encoding, table._sniff_delimiter(decoded), warnings) is not None
    _same(read_raw_table(data, file_name="f.csv"), _general(monkeypatch, data))


@pytest.mark.parametrize("text", FALLBACK)
def test_other_files_fall_back_and_match(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = text.encode("utf-8")
    decoded, encoding, warnings = table._decode(data, "f.csv")
    delimiter = table._sniff_delimiter(decoded)
    header = table._arrow_header(decoded, encoding, delimiter, "f.csv")
    assert header is None or table._arrow_table(data, header, encoding, delimiter, warnings) is None
    _same(read_raw_table(data, file_name="f.csv"), _general(monkeypatch, data))
