"""Read CSV and Excel import files into a header row and rows of strings.

:func:`read_rows` is the single entry point: give it a path or the uploaded
bytes and the original file name, and it returns an :class:`ImportFile` whose
``rows`` are produced lazily, so a 100,000-row CSV is never held in memory
as a whole.  Every cell arrives as a stripped ``str``; mapping columns to
fields (:mod:`peyvand_contacts.importing.mapping`) and validating values are
the caller's business.

What it copes with, because real files from Iranian offices contain it:

* CSV in UTF-8 (with or without BOM), UTF-16 (as written by Excel's "Unicode
  Text") or Windows-1256 (what Persian Excel writes by default), with ``,``,
  ``;``, tab, ``|`` or Arabic ``؛`` as the delimiter;
* Excel cells that hold numbers where text was meant: a mobile number or a
  national id typed into a number cell arrives as ``9121234567.0`` and is
  returned as ``"9121234567"`` (the leading zero is gone; the phone and
  identifier validators put it back where they safely can);
* date cells, returned as ISO strings (``"2024-03-20"``, or
  ``"2024-03-20T10:30:00"`` when the time is not midnight);
* blank rows above the header and blank rows between records.

Example::

    with read_rows(upload_bytes, filename="contacts.xlsx") as f:
        mapping = guess_mapping(f.headers, DEFAULT_PERSON_SYNONYMS)
        for row_number, cells in f.numbered_rows():
            ...  # report problems as "row {row_number}"
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import math
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Self
from xml.etree import ElementTree

from peyvand_contacts.messages import N_, Coded, Message
from peyvand_contacts.text import fold

__all__ = ["SUPPORTED_EXTENSIONS", "ImportFile", "ImportFileError", "read_rows"]

_TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
_OPENPYXL_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_CALAMINE_ONLY_EXTENSIONS = frozenset({".xls", ".xlsb", ".ods"})

#: File name extensions that :func:`read_rows` understands.  ``.xls``,
#: ``.xlsb`` and ``.ods`` need python-calamine; the others work with the
#: standard library or openpyxl alone.
SUPPORTED_EXTENSIONS = _TEXT_EXTENSIONS | _OPENPYXL_EXTENSIONS | _CALAMINE_ONLY_EXTENSIONS

_DELIMITERS = (",", ";", "\t", "|", "\u061b")
# A line made only of these holds no header: a spreadsheet row of empty cells.
_BLANK_LINE_CHARS = " \t\r\n\"'" + "".join(_DELIMITERS)
_CHUNK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class ImportFileError(Coded, ValueError):
    """The file cannot be read as an import file.

    The message is in English, names the file and says what is wrong in
    terms a user can act on (wrong format, empty file, which column has a
    missing or duplicated header, ...). ``exc.message`` is the same as a
    :class:`~peyvand_contacts.messages.Message`, which the pages translate.
    """


UNSUPPORTED = N_("%(file)s: unsupported file type %(ext)s; use one of %(supported)s")
NOT_FOUND = N_("%(file)s: file not found (%(path)s)")
EXCEL_NOT_CSV = N_("%(file)s: this is an Excel or other binary file, not CSV text; give it its "
                   "real extension (such as .xlsx)")
BINARY = N_("%(file)s: this is a binary file, not CSV text")
UNKNOWN_ENCODING = N_("%(file)s: unknown encoding %(encoding)s")
EMPTY = N_("%(file)s: the file is empty")
NOT_TEXT = N_("%(file)s: the file is not valid %(encoding)s text (%(reason)s)")
BAD_HEADER = N_("%(file)s: the header row is malformed: %(reason)s")
NOT_TEXT_AT = N_("%(file)s: the file is not valid %(encoding)s text at or after row %(row)s "
                 "(%(reason)s)")
BAD_ROW = N_("%(file)s: row %(row)s is malformed: %(reason)s")
NOT_EXCEL = N_("%(file)s: this is not an Excel file (it may be corrupt, or a CSV file with the "
               "wrong extension)")
NEEDS_CALAMINE = N_("%(file)s: reading %(ext)s files needs the python-calamine package")
NO_SHEETS = N_("%(file)s: the workbook has no sheets")
NO_SHEET_NUMBER = N_("%(file)s: there is no sheet number %(sheet)s; the workbook has %(n)s")
NO_SHEET_NAMED = N_("%(file)s: there is no sheet named %(sheet)s; sheets: %(sheets)s")
CORRUPT = N_("%(file)s: cannot read this %(ext)s file; it may be corrupt or not an Excel file "
             "(%(reason)s)")
CORRUPT_SHEET = N_("%(file)s: cannot read sheet %(sheet)s; the file may be corrupt (%(reason)s)")
EMPTY_SHEET = N_("%(file)s: sheet %(sheet)s is empty")
COLUMN = N_("column %(n)s (%(letter)s)")
NO_HEADER = N_("%(file)s: %(where)s has no header; name every column")
SAME_HEADER = N_("%(file)s: %(where)s has the same header %(header)s as column %(n)s "
                 "(%(letter)s); headers must be unique")


@dataclass(eq=False)
class ImportFile:
    """A header row and a lazy iterator over the data rows of an import file.

    ``rows`` yields one ``list[str]`` per spreadsheet row after the header,
    blank rows included, so that
    ``enumerate(f.rows, start=f.row_number)`` numbers them exactly as the
    user's spreadsheet program does.  Each row has at least
    ``len(headers)`` cells (short rows are padded with ``""``); cells to the
    right of the last header are kept only if they are not empty.  Use
    :meth:`numbered_rows` to get the numbers and skip blank rows in one go.

    ``rows`` can be consumed once.  Close the file (or use ``with``) if you
    stop early; reading to the end closes it too.
    """

    headers: list[str]
    rows: Iterator[list[str]]
    #: Text encoding of a CSV file (detected or as given); ``None`` for spreadsheets.
    encoding: str | None
    #: Spreadsheet row number (1-based) of the first row that ``rows`` yields.
    row_number: int
    #: The file name extension without the dot: ``"csv"``, ``"xlsx"``, ...
    format: str
    filename: str
    #: Name of the sheet that was read; ``None`` for CSV.
    sheet: str | None = None
    #: Delimiter of a CSV file; ``None`` for spreadsheets.
    delimiter: str | None = None
    _closers: list[Any] = field(default_factory=list, repr=False)

    def numbered_rows(self, *, skip_blank: bool = True) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(row_number, cells)`` for the rows not yet read.

        Rows whose cells are all empty are skipped unless ``skip_blank`` is
        false.  Use this instead of ``rows``, not after reading from it:
        the numbering starts at :attr:`row_number`.
        """
        for number, cells in enumerate(self.rows, start=self.row_number):
            if skip_blank and not any(cells):
                continue
            yield number, cells

    def close(self) -> None:
        """Release the underlying file; further iteration yields nothing."""
        while self._closers:
            self._closers.pop().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_rows(
    path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes],
    *,
    filename: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> ImportFile:
    """Open an import file and return its headers and a lazy row iterator.

    ``path_or_bytes`` is a filesystem path, the file's content as bytes (an
    upload), or a binary file object (read completely).  ``filename`` is the
    name the user gave the file; its extension selects the format, so pass
    it for uploads (required for bytes; defaults to the path's name).

    CSV/TSV/TXT: the encoding is, in order, ``encoding=`` if given; the BOM
    (UTF-8 or UTF-16); ``utf-8`` if the whole file decodes as strict UTF-8
    (which covers plain ASCII); otherwise ``cp1256``.  The delimiter is the
    candidate that splits the header line into the most fields.  Excel's
    ``="0912..."`` trick for keeping leading zeros is undone.

    XLSX/XLSM/XLS/XLSB/ODS: read with python-calamine, or with openpyxl
    (XLSX/XLSM only) if python-calamine is not installed.  ``sheet`` picks a
    sheet by name or 0-based index; the default is the first sheet.

    The header row is the first non-blank row.  Trailing empty header cells
    are ignored; an empty header between named columns, or two headers that
    are equal after :func:`~peyvand_contacts.text.fold`, raise
    :class:`ImportFileError` naming the columns, and so do an empty file, an
    unsupported extension and a file that is not what its extension says.
    """
    data: bytes | None = None
    path: Path | None = None
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        path = Path(path_or_bytes)
    elif hasattr(path_or_bytes, "read"):
        data = path_or_bytes.read()
    else:
        raise TypeError(
            "read_rows() expects a path, bytes or a binary file, "
            f"not {type(path_or_bytes).__name__}"
        )
    if filename is None:
        if path is None:
            raise TypeError("read_rows() needs filename= when given bytes or a file object")
        filename = path.name

    ext = os.path.splitext(filename)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise ImportFileError(Message(UNSUPPORTED, file=filename,
                                      ext=repr(ext or "(no extension)"), supported=supported))
    if path is not None and not path.is_file():
        raise ImportFileError(Message(NOT_FOUND, file=filename, path=path))

    if ext in _TEXT_EXTENSIONS:
        return _read_csv(path, data, filename, ext, encoding)
    return _read_spreadsheet(path, data, filename, ext, sheet)


# --- CSV -------------------------------------------------------------------


def _open_binary(path: Path | None, data: bytes | None) -> IO[bytes]:
    if path is not None:
        return open(path, "rb")
    assert data is not None
    return io.BytesIO(data)


def _detect_encoding(stream: IO[bytes], filename: str) -> str:
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise ImportFileError(Message(EXCEL_NOT_CSV, file=filename))
    if b"\x00" in head:
        # UTF-16 without a BOM: ASCII characters (delimiters, line breaks,
        # digits) put a zero byte on one side only; Persian letters do not,
        # so the zeros are a minority, but always on the same side.
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        enough = max(1, len(head) // 40)
        if even == 0 and odd >= enough:
            return "utf-16-le"
        if odd == 0 and even >= enough:
            return "utf-16-be"
        raise ImportFileError(Message(BINARY, file=filename))

    # The whole file is checked, not a sample: Persian text often appears
    # only in later rows of a file whose first rows are ASCII.
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1256"
    finally:
        stream.seek(0)
    return "utf-8"


def _pick_delimiter(line: str) -> str:
    best, best_count = ",", 1
    for candidate in _DELIMITERS:
        count = len(next(csv.reader([line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _csv_cell(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith('="') and cell.endswith('"') and len(cell) >= 3:
        cell = cell[2:-1].strip()
    return cell


def _read_csv(
    path: Path | None, data: bytes | None, filename: str, ext: str, encoding: str | None
) -> ImportFile:
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(Message(UNKNOWN_ENCODING, file=filename,
                                          encoding=repr(encoding))) from None
    stream = _open_binary(path, data)
    try:
        if encoding is None:
            encoding = _detect_encoding(stream, filename)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            # Peek at lines up to the first one with content to choose the
            # delimiter, then hand them back to the csv reader unconsumed.
            peeked: list[str] = []
            for line in text:
                peeked.append(line)
                if line.strip(_BLANK_LINE_CHARS):
                    break
            if not peeked or not peeked[-1].strip(_BLANK_LINE_CHARS):
                raise ImportFileError(Message(EMPTY, file=filename))
            delimiter = "\t" if ext == ".tsv" else _pick_delimiter(peeked[-1])
            reader = csv.reader(itertools.chain(peeked, text), delimiter=delimiter)

            header_cells: list[str] | None = None
            header_row = 0
            for record in reader:
                header_row += 1
                cells = [_csv_cell(c) for c in record]
                if "".join(cells).strip(_BLANK_LINE_CHARS):
                    header_cells = cells
                    break
        except UnicodeDecodeError as exc:
            raise ImportFileError(Message(NOT_TEXT, file=filename, encoding=encoding,
                                          reason=exc.reason)) from None
        except csv.Error as exc:
            raise ImportFileError(Message(BAD_HEADER, file=filename, reason=exc)) from None
    except BaseException:
        stream.close()
        raise
    if header_cells is None:
        stream.close()
        raise ImportFileError(Message(EMPTY, file=filename))
    try:
        headers = _check_headers(header_cells, filename)
    except ImportFileError:
        stream.close()
        raise

    def rows() -> Iterator[list[str]]:
        row_number = header_row
        try:
            for record in reader:
                row_number += 1
                yield _fit([_csv_cell(c) for c in record], len(headers))
        except UnicodeDecodeError as exc:
            # Text is decoded in blocks, so the bad bytes are somewhere in or
            # after this row, not necessarily in it.
            raise ImportFileError(Message(NOT_TEXT_AT, file=filename, encoding=encoding,
                                          row=row_number + 1, reason=exc.reason)) from None
        except csv.Error as exc:
            raise ImportFileError(Message(BAD_ROW, file=filename, row=row_number + 1,
                                          reason=exc)) from None
        finally:
            stream.close()

    iterator = rows()
    return ImportFile(
        headers=headers,
        rows=iterator,
        encoding=encoding,
        row_number=header_row + 1,
        format=ext[1:],
        filename=filename,
        delimiter=delimiter,
        _closers=[stream, iterator],
    )


# --- spreadsheets ----------------------------------------------------------


def _cell_text(value: Any) -> str:
    """Render a spreadsheet cell value as the text a user would type."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
        # Excel shows at most 15 significant digits; formatting to 15 hides
        # binary noise such as 0.30000000000000004 the way Excel does.
        text = format(value, ".15g")
        if "e" in text:
            text = format(Decimal(text), "f")
        return text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            # openpyxl returns date-only cells as midnight datetimes.
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _read_spreadsheet(
    path: Path | None, data: bytes | None, filename: str, ext: str, sheet: str | int | None
) -> ImportFile:
    if data is not None and not data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise ImportFileError(Message(NOT_EXCEL if data.strip() else EMPTY, file=filename))
    if path is not None and path.stat().st_size == 0:
        raise ImportFileError(Message(EMPTY, file=filename))
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        if ext not in _OPENPYXL_EXTENSIONS:
            raise ImportFileError(Message(NEEDS_CALAMINE, file=filename, ext=ext)) from None
        return _read_openpyxl(path, data, filename, ext, sheet)
    return _read_calamine(path, data, filename, ext, sheet)


def _select_sheet(names: list[str], sheet: str | int | None, filename: str) -> int:
    if not names:
        raise ImportFileError(Message(NO_SHEETS, file=filename))
    if sheet is None:
        return 0
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return sheet
        raise ImportFileError(Message(NO_SHEET_NUMBER, file=filename, sheet=sheet,
                                      n=len(names)))
    if sheet in names:
        return names.index(sheet)
    wanted = fold(str(sheet))
    for index, name in enumerate(names):
        if fold(name) == wanted:
            return index
    listed = ", ".join(repr(n) for n in names)
    raise ImportFileError(Message(NO_SHEET_NAMED, file=filename, sheet=repr(sheet),
                                  sheets=listed))


def _read_calamine(
    path: Path | None, data: bytes | None, filename: str, ext: str, sheet: str | int | None
) -> ImportFile:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        if path is not None:
            workbook = CalamineWorkbook.from_path(str(path))
        else:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data or b""))
    except (CalamineError, OSError, ValueError) as exc:
        raise ImportFileError(Message(CORRUPT, file=filename, ext=ext, reason=exc)) from None
    try:
        names = list(workbook.sheet_names)
        index = _select_sheet(names, sheet, filename)
        try:
            worksheet = workbook.get_sheet_by_index(index)
        except (CalamineError, OSError, ValueError) as exc:
            raise ImportFileError(Message(CORRUPT_SHEET, file=filename,
                                          sheet=repr(names[index]), reason=exc)) from None
    finally:
        # The sheet's cells are now in memory on the Rust side; the workbook
        # (and its file handle) is no longer needed.  Old releases (0.2.x)
        # have no close() and release the file when garbage-collected.
        close = getattr(workbook, "close", None)
        if close is not None:
            close()
    if worksheet.start is None:
        raise ImportFileError(Message(EMPTY_SHEET, file=filename, sheet=repr(names[index])))
    if hasattr(worksheet, "iter_rows"):
        cell_rows = worksheet.iter_rows()
    else:
        # Old python-calamine releases (0.2.x) can only convert the whole
        # sheet at once, starting at the first used row.
        cell_rows = worksheet.to_python()
    return _from_cell_rows(
        cell_rows, filename, ext, names[index], worksheet.start[0], closer=None
    )


def _read_openpyxl(
    path: Path | None, data: bytes | None, filename: str, ext: str, sheet: str | int | None
) -> ImportFile:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # What a damaged or mislabelled file makes openpyxl raise: the zip layer,
    # the XML parser, or openpyxl looking up a part that is not there.
    openpyxl_errors = (
        zipfile.BadZipFile,
        InvalidFileException,
        ElementTree.ParseError,
        KeyError,
        ValueError,
        OSError,
        EOFError,
    )
    try:
        workbook = openpyxl.load_workbook(
            path if path is not None else io.BytesIO(data or b""),
            read_only=True,
            data_only=True,
        )
    except openpyxl_errors as exc:
        raise ImportFileError(Message(CORRUPT, file=filename, ext=ext, reason=exc)) from None
    try:
        names = list(workbook.sheetnames)
        index = _select_sheet(names, sheet, filename)
        rows = workbook.worksheets[index].iter_rows(values_only=True)
        return _from_cell_rows(rows, filename, ext, names[index], 0, closer=workbook)
    except BaseException:
        workbook.close()
        raise


def _from_cell_rows(
    cell_rows: Iterable[Iterable[Any]],
    filename: str,
    ext: str,
    sheet_name: str,
    first_used_row: int,
    closer: Any,
) -> ImportFile:
    """Find the header in raw spreadsheet rows and wrap the rest lazily.

    ``first_used_row`` is the 0-based index of the first non-empty row, when
    the reader knows it; it corrects the numbering if the reader starts at
    the first used row instead of at row 1.
    """
    iterator = iter(cell_rows)
    header_cells: list[str] | None = None
    consumed = 0
    for raw in iterator:
        consumed += 1
        cells = [_cell_text(v) for v in raw]
        if any(cells):
            header_cells = cells
            break
    if header_cells is None:
        if closer is not None:
            closer.close()
        raise ImportFileError(Message(EMPTY_SHEET, file=filename, sheet=repr(sheet_name)))
    skipped = consumed - 1
    # python-calamine yields placeholder rows above the first used row; a
    # reader that does not, needs the offset added to report true row numbers.
    header_row = consumed + (first_used_row if skipped < first_used_row else 0)
    try:
        headers = _check_headers(header_cells, filename)
    except ImportFileError:
        if closer is not None:
            closer.close()
        raise

    def rows() -> Iterator[list[str]]:
        try:
            for raw in iterator:
                yield _fit([_cell_text(v) for v in raw], len(headers))
        finally:
            if closer is not None:
                closer.close()

    generator = rows()
    return ImportFile(
        headers=headers,
        rows=generator,
        encoding=None,
        row_number=header_row + 1,
        format=ext[1:],
        filename=filename,
        sheet=sheet_name,
        _closers=[c for c in (closer, generator) if c is not None],
    )


# --- shared ----------------------------------------------------------------


def _column_name(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _check_headers(cells: list[str], filename: str) -> list[str]:
    headers = [c.replace("\ufeff", "").strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        where = Message(COLUMN, n=index + 1, letter=_column_name(index))
        if not header:
            raise ImportFileError(Message(NO_HEADER, file=filename, where=where))
        key = fold(header)
        if key in seen:
            first = seen[key]
            raise ImportFileError(Message(SAME_HEADER, file=filename, where=where,
                                          header=repr(header), n=first + 1,
                                          letter=_column_name(first)))
        seen[key] = index
    return headers


def _fit(cells: list[str], width: int) -> list[str]:
    if len(cells) < width:
        cells.extend([""] * (width - len(cells)))
    elif len(cells) > width:
        end = len(cells)
        while end > width and not cells[end - 1]:
            end -= 1
        del cells[end:]
    return cells
