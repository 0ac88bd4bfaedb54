"""The pyarrow fast path of ``read_raw_table`` must give exactly what the csv-module path gives."""

from __future__ import annotations

import random
import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incidents.ingest.file_reader as table
from incidents.errors import FileLevelError
from incidents.ingest.file_reader import read_raw_table

CLEAN = [
    "a,b,c\n1,2,3\n4,5,6\n",
    "a,b,c\r\n1, 2 ,3\r\n4,,6",
    '\ufeffid,notes,lat\n1,"says ""hi"", then left",14.5\n2,"a, b",\n',
    "id;note\n1;  été  \n2;日本\n",
    "id\tx\n1\t\n2\t \n",
    'a,b\n1,"x"\n2,""\n',
    "a,b\n",
    # Cells the fast path must trim exactly like the general one: spaces, tabs, NBSP, em and
    # ideographic spaces, information separators, whitespace-only cells, accents at the ends.
    "id,x,y\n1, a ,\u00a0b\u00a0\n2,\t,\u2003c\u3000\n3,\u00a0,d\u205f\n4,été, à\n",
    "id;lat;lon\r\n1; 14,35 ;-3,5 \r\n2;\u00a014.35\u00a0;\r\n3;  ;x y\r\n",
    "id,n\n1,\u00e9\n2,\u2029\n3,\u0085z\n",
    '\ufeffid,notes\n1," padded , quoted "\n2,"\u00a0"\n',
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
    "a,b\r\n1,2\r\n\r\n3,4\r\n",  # blank CRLF line
    "a,b\n1,2\n\r\n3,4\n",  # blank line ended by CRLF
    "a,b\n1,2\n\n",  # trailing blank line
    "a,b\n\n1,2\n",  # blank line under the header
    "a,b\n1,2\r3,4\n",  # lone CR
    "a,b,c\n1,2,3\n4,5",  # cut off in the last row
    "a,b\n1,x\x00y\n2,z\n",  # a NUL byte
]
NOT_UTF8 = [
    b"a,b\n1,caf\xe9\n",  # cp1252
    b"a,b\n1,\xed\xa0\x80\n",  # an encoded surrogate: not UTF-8
    b"a,b\n1,\xc0\x80\n",  # overlong NUL
    b"a,b\n1,\xf4\x90\x80\x80\n",  # above U+10FFFF
    b"\xef\xbb\xbfa,b\n1,\xe9\n",  # BOM, then not UTF-8
    b"a,b\n1,\x00\n",
]


def _general(monkeypatch: pytest.MonkeyPatch, data: bytes):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as patch:
        patch.setattr(table, "_arrow_table", lambda *args, **kwargs: None)
        return read_raw_table(data, file_name="f.csv")


def _same(fast, slow) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.lines.tolist() == slow.lines.tolist()
    assert (fast.encoding, fast.delimiter, fast.warnings) == (slow.encoding, slow.delimiter, slow.warnings)
    assert fast.rejected == slow.rejected


@pytest.mark.parametrize("text", CLEAN)
def test_clean_files_take_the_fast_path_and_match(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not table._ARROW_STRINGS:
        pytest.skip("pandas does not store strings in pyarrow here")
    data = text.encode("utf-8")
    decoded, encoding, warnings = table._decode(data, "f.csv")
    header = table._arrow_header(data, encoding, table._sniff_delimiter(decoded), "f.csv")
    assert header is not None
    assert table._arrow_table(data, header, encoding, table._sniff_delimiter(decoded), warnings) is not None
    assert table._fast_table(data, "f.csv") is not None
    _same(read_raw_table(data, file_name="f.csv"), _general(monkeypatch, data))


@pytest.mark.parametrize("text", FALLBACK)
def test_other_files_fall_back_and_match(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = text.encode("utf-8")
    decoded, encoding, warnings = table._decode(data, "f.csv")
    delimiter = table._sniff_delimiter(decoded)
    header = table._arrow_header(data, encoding, delimiter, "f.csv")
    assert header is None or table._arrow_table(data, header, encoding, delimiter, warnings) is None
    assert table._fast_table(data, "f.csv") is None
    _same(read_raw_table(data, file_name="f.csv"), _general(monkeypatch, data))


@pytest.mark.parametrize("data", NOT_UTF8)
def test_files_that_are_not_clean_utf8_fall_back_and_match(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert table._fast_table(data, "f.csv") is None
    try:
        fast = read_raw_table(data, file_name="f.csv")
    except (FileLevelError, UnicodeDecodeError) as exc:
        with pytest.raises(type(exc)):
            _general(monkeypatch, data)
        return
    _same(fast, _general(monkeypatch, data))


def test_utf8_check_agrees_with_python_on_edge_sequences() -> None:
    pieces = [
        b"a",
        b"\x80",
        b"\xbf",
        b"\xc0",
        b"\xc1",
        b"\xc2",
        b"\xdf",
        b"\xe0",
        b"\xe0\xa0",
        b"\xed",
        b"\xed\xa0",
        b"\xed\x9f\xbf",
        b"\xef\xbf\xbf",
        b"\xf0",
        b"\xf0\x90",
        b"\xf4\x8f\xbf\xbf",
        b"\xf4\x90",
        b"\xf5",
        b"\xff",
        b"\xc3\xa9",
        b"\xe2\x82\xac",
        b"\xf0\x9f\x98\x80",
        b"\n",
    ]
    for first in pieces:
        for second in pieces:
            for third in (b"", *pieces):
                data = first + second + third
                try:
                    data.decode("utf-8")
                    valid = True
                except UnicodeDecodeError:
                    valid = False
                assert table._valid_utf8(data) is valid, data


def test_start_of_a_long_file_is_decoded_like_the_whole() -> None:
    text = "a,b\n" + "\u00e9\u20ac\U0001f600," * 40_000 + "\n"
    data = text.encode("utf-8")
    for cut in range(table._HEAD_BYTES - 8, table._HEAD_BYTES + 1):
        head = table._text_head(data[:cut] + data[cut:], "utf-8")
        assert text.startswith(head) and len(head) > table._SNIFF_CHARS
        assert table._sniff_delimiter(head) == table._sniff_delimiter(text)


@pytest.mark.parametrize("block_bytes", [4096, 4 * 2**20])
def test_a_long_clean_file_takes_the_fast_path(block_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(block_bytes)
    names, ends = ["café", " café ", "x", "", " ", "Léré"], ["", "\u00a0", "é"]
    rows = "".join(f"{i},{rng.choice(names)},\u00a0{i}.5{rng.choice(ends)}\n" for i in range(60_000))
    data = ("id,name,value\n" + rows).encode("utf-8")
    monkeypatch.setattr(table, "_ARROW_BLOCK_BYTES", block_bytes)  # small blocks: many chunks
    fast = table._fast_table(data, "f.csv")
    assert fast is not None
    _same(fast, _general(monkeypatch, data))


def test_whitespace_table_matches_pyarrow_trimming() -> None:
    codes = [code for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    trimmed = pc.binary_length(pc.utf8_trim_whitespace(pa.array([chr(code) for code in codes]))).to_numpy()
    removed = {chr(code).encode() for code, length in zip(codes, trimmed, strict=True) if length == 0}
    assert removed == set(table._WHITESPACE)


CELLS = [
    "a",
    "",
    " ",
    "\t",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\x1c",
    "\u0085",
    "é",
    "à",
    "日本",
    " x",
    "x ",
    "\u00a0x",
    "x\u2029",
    "\u202fx\u205f",
    "a b",
    "\u00e9\u00a0",
    "\u2028",
]


def test_trimming_is_skipped_only_when_it_changes_nothing() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        values = [rng.choice(CELLS) + rng.choice(CELLS) for _ in range(rng.randint(0, 4))]
        array = pa.array(values, type=pa.large_string())
        trimmed = pc.utf8_trim_whitespace(array)
        if not trimmed.equals(array):
            assert table._may_need_trim(array), values
        if len(values) > 1:
            assert table._may_need_trim(array.slice(1)) or trimmed.slice(1).equals(array.slice(1)), values
    # Few suspect cells among many plain ones: only the suspects are trimmed to decide.
    for _ in range(3000):
        values = ["plain text"] * 40
        for _ in range(rng.randint(1, 3)):
            values[rng.randrange(40)] = rng.choice(CELLS) + rng.choice(CELLS)
        array = pa.array(values, type=pa.large_string())
        assert table._may_need_trim(array) is not pc.utf8_trim_whitespace(array).equals(array), values


def test_stripped_cells_equal_trim_then_null_empty() -> None:
    rng = random.Random(6)
    for _ in range(500):
        chunks = [[rng.choice(CELLS) + rng.choice(CELLS) for _ in range(rng.randint(0, 5))] for _ in range(3)]
        column = pa.chunked_array(chunks, type=pa.large_string())
        expected = pc.utf8_trim_whitespace(column)
        expected = pc.if_else(pc.equal(expected, ""), pa.scalar(None, pa.large_string()), expected)
        result = table._stripped_cells(column)
        for chunk in result.chunks:
            chunk.validate(full=True)
        assert result.to_pylist() == expected.to_pylist()
        assert result.null_count == expected.null_count


def _well_formed_quotes_by_regex(data: bytes, delimiter: str) -> bool:
    """The reference: each line holding a quote must match the csv grammar (the old implementation)."""
    if b'"' not in data:
        return True
    sep = re.escape(delimiter.encode())
    cell = rb'(?:"(?:[^"\r\n]|"")*"|[^"' + sep + rb"\r\n]*)"
    line_pattern = re.compile(cell + rb"(?:" + sep + cell + rb")*\r?")
    return all(
        line_pattern.fullmatch(match.group()) is not None
        for match in re.finditer(rb'^[^\n"]*".*$', data, flags=re.MULTILINE)
    )


QUOTE_PIECES = ["a", "é", ",", ";", "\t", "|", " ", '"', '"', '""', "\n", "\r\n"]


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)  # the grammar has few states: 1,000 strings visit them all
@given(
    pieces=st.lists(st.sampled_from(QUOTE_PIECES), max_size=16),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_quote_check_agrees_with_the_csv_grammar(pieces: list[str], delimiter: str) -> None:
    data = "".join(pieces).encode()
    # Callers refuse a CR that is not followed by LF before asking (see _arrow_header).
    assert data.count(b"\r") == data.count(b"\r\n")
    assert table._well_formed_quotes(data, delimiter) == _well_formed_quotes_by_regex(data, delimiter)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a,"b, c",d\n1,"x ""y""",2\n', True),
        ('"",""""\n', True),  # an empty quoted cell; a cell holding one quote
        ('a,b"c,d\n', False),  # a quote inside a plain cell
        ('a,"b"c,d\n', False),  # text after the closing quote
        ('a,"b\nc",d\n', False),  # a quoted line break: records and lines would differ
        ('a,"b",d\r\n"x"\r\n', True),
        ('a,"unclosed\n', False),
    ],
)
def test_quote_check_examples(text: str, expected: bool) -> None:
    assert table._well_formed_quotes(text.encode(), ",") is expected
