import codecs
import datetime as dt
import io

import openpyxl
import pytest

from peyvand_contacts.importing import readers
from peyvand_contacts.importing.readers import ImportFile, ImportFileError, read_rows

PERSIAN_CSV = (
    "نام,نام خانوادگی,موبایل,ایمیل\n"
    "علی,کریمی,۰۹۱۲۱۲۳۴۵۶۷,ali@example.com\n"
    "مریم,احمدی,09351234567,maryam@example.com\n"
)
PERSIAN_ROWS = [
    ["علی", "کریمی", "۰۹۱۲۱۲۳۴۵۶۷", "ali@example.com"],
    ["مریم", "احمدی", "09351234567", "maryam@example.com"],
]


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(f: ImportFile):
    with f:
        return list(f.rows)


# --- CSV encodings ----------------------------------------------------------------


def test_utf8_csv(tmp_path):
    f = read_rows(write(tmp_path, "people.csv", PERSIAN_CSV.encode("utf-8")))
    assert f.encoding == "utf-8"
    assert f.delimiter == ","
    assert f.format == "csv"
    assert f.filename == "people.csv"
    assert f.headers == ["نام", "نام خانوادگی", "موبایل", "ایمیل"]
    assert f.row_number == 2
    assert read_all(f) == PERSIAN_ROWS


def test_utf8_bom_csv(tmp_path):
    data = codecs.BOM_UTF8 + PERSIAN_CSV.encode("utf-8")
    f = read_rows(write(tmp_path, "people.csv", data))
    assert f.encoding == "utf-8-sig"
    assert f.headers[0] == "نام"  # no stray U+FEFF
    assert read_all(f) == PERSIAN_ROWS


def test_utf16_tab_separated_as_excel_unicode_text(tmp_path):
    text = PERSIAN_CSV.replace(",", "\t").replace("\n", "\r\n")
    data = text.encode("utf-16")  # Python writes a BOM, as Excel does
    assert data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    f = read_rows(write(tmp_path, "people.txt", data))
    assert f.encoding == "utf-16"
    assert f.delimiter == "\t"
    assert f.headers == ["نام", "نام خانوادگی", "موبایل", "ایمیل"]
    assert read_all(f) == PERSIAN_ROWS


def test_utf16_big_endian_with_bom(tmp_path):
    data = codecs.BOM_UTF16_BE + "name,phone\nعلی,0912\n".encode("utf-16-be")
    f = read_rows(write(tmp_path, "p.csv", data))
    assert f.encoding == "utf-16"
    assert read_all(f) == [["علی", "0912"]]


def test_utf16_without_bom_is_recognised(tmp_path):
    data = "name;phone\nAli;0912\n".encode("utf-16-le")
    f = read_rows(write(tmp_path, "p.csv", data))
    assert f.encoding == "utf-16-le"
    assert f.headers == ["name", "phone"]
    assert read_all(f) == [["Ali", "0912"]]


def test_persian_utf16_without_bom_is_recognised(tmp_path):
    text = "نام,نام خانوادگی,موبایل\nعلی,کریمی,۰۹۱۲۱۲۳۴۵۶۷\n"
    f = read_rows(write(tmp_path, "p.csv", text.encode("utf-16-le")))
    assert f.encoding == "utf-16-le"
    assert read_all(f) == [["علی", "کریمی", "۰۹۱۲۱۲۳۴۵۶۷"]]


def test_binary_file_is_not_csv(tmp_path):
    with pytest.raises(ImportFileError, match="binary"):
        read_rows(write(tmp_path, "b.csv", bytes(range(256)) * 4))


def test_windows_1256_csv_from_persian_excel(tmp_path):
    # cp1256 has no Persian ی or Persian digits; Persian Excel writes Arabic ي.
    text = "نام;نام خانوادگي;شهر\r\nعلي;كريمي;تهران\r\n"
    f = read_rows(write(tmp_path, "people.csv", text.encode("cp1256")))
    assert f.encoding == "cp1256"
    assert f.delimiter == ";"
    assert f.headers == ["نام", "نام خانوادگي", "شهر"]
    assert read_all(f) == [["علي", "كريمي", "تهران"]]


def test_cp1256_detected_when_persian_appears_only_after_the_first_megabyte(tmp_path):
    ascii_rows = "".join(f"user{i},user{i}@example.com\n" for i in range(60_000))
    assert len(ascii_rows) > 1_100_000
    text = "name,email\n" + ascii_rows + "علي,ali@example.com\n"
    f = read_rows(write(tmp_path, "big.csv", text.encode("cp1256")))
    assert f.encoding == "cp1256"
    rows = read_all(f)
    assert len(rows) == 60_001
    assert rows[-1] == ["علي", "ali@example.com"]


def test_explicit_encoding_overrides_detection(tmp_path):
    data = "name,city\nJosé,Málaga\n".encode("latin-1")
    detected = read_rows(write(tmp_path, "a.csv", data))
    assert detected.encoding == "cp1256"  # not UTF-8, so the Persian default applies
    assert read_all(detected) != [["José", "Málaga"]]
    given = read_rows(write(tmp_path, "b.csv", data), encoding="Latin-1")
    assert given.encoding == "iso8859-1"
    assert read_all(given) == [["José", "Málaga"]]


def test_explicit_encoding_that_does_not_fit(tmp_path):
    data = "name\nعلی\n".encode()
    with pytest.raises(ImportFileError, match="not valid ascii text"):
        read_all(read_rows(write(tmp_path, "a.csv", data), encoding="ascii"))


def test_decoding_error_late_in_the_file_gives_a_row_to_look_from(tmp_path):
    lines = ["name"] + [f"user{i}" for i in range(5000)] + ["علی"]
    data = "\n".join(lines).encode()
    f = read_rows(write(tmp_path, "a.csv", data), encoding="ascii")
    with pytest.raises(ImportFileError, match="not valid ascii text at or after row") as info:
        read_all(f)
    row = int(str(info.value).split("at or after row ")[1].split()[0])
    assert 2 < row <= 5002  # the bad row is row 5002


def test_unknown_encoding(tmp_path):
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        read_rows(write(tmp_path, "a.csv", b"a,b\n"), encoding="klingon")


# --- CSV structure ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "expected"),
    [(",", ","), (";", ";"), ("\t", "\t"), ("|", "|"), ("\u061b", "\u061b")],
)
def test_delimiter_detection(tmp_path, delimiter, expected):
    text = delimiter.join(["نام", "موبایل", "شهر"]) + "\n" + delimiter.join(["a", "b", "c"]) + "\n"
    f = read_rows(write(tmp_path, "d.csv", text.encode()))
    assert f.delimiter == expected
    assert read_all(f) == [["a", "b", "c"]]


def test_delimiter_inside_quotes_does_not_mislead(tmp_path):
    text = 'name,"notes; remarks",city\nAli,"x; y",Tehran\n'
    f = read_rows(write(tmp_path, "q.csv", text.encode()))
    assert f.delimiter == ","
    assert f.headers == ["name", "notes; remarks", "city"]
    assert read_all(f) == [["Ali", "x; y", "Tehran"]]


def test_single_column_file(tmp_path):
    f = read_rows(write(tmp_path, "one.csv", b"email\na@b.ir\nc@d.ir\n"))
    assert f.headers == ["email"]
    assert read_all(f) == [["a@b.ir"], ["c@d.ir"]]


def test_row_numbers_match_the_spreadsheet(tmp_path):
    text = "\n\nname,phone\nAli,1\n\n,\nSara,2\n"
    f = read_rows(write(tmp_path, "n.csv", text.encode()))
    assert f.headers == ["name", "phone"]
    assert f.row_number == 4  # two blank rows, then the header on row 3
    assert list(f.numbered_rows()) == [(4, ["Ali", "1"]), (7, ["Sara", "2"])]


def test_rows_of_empty_cells_above_the_header_are_skipped(tmp_path):
    # Excel writes an empty spreadsheet row as a line of bare delimiters.
    text = ";;\n;;\nname;phone;city\nAli;1;Qom\n"
    f = read_rows(write(tmp_path, "n.csv", text.encode()))
    assert (f.delimiter, f.headers, f.row_number) == (";", ["name", "phone", "city"], 4)
    assert read_all(f) == [["Ali", "1", "Qom"]]


def test_rows_include_blank_rows_so_enumerate_counts_correctly(tmp_path):
    text = "name,phone\nAli,1\n\nSara,2\n"
    f = read_rows(write(tmp_path, "n.csv", text.encode()))
    numbered = list(enumerate(f.rows, start=f.row_number))
    assert numbered == [(2, ["Ali", "1"]), (3, ["", ""]), (4, ["Sara", "2"])]


def test_multiline_cell_is_one_row(tmp_path):
    text = 'name,address\nAli,"خیابان ولیعصر\nپلاک ۱۲"\nSara,x\n'
    f = read_rows(write(tmp_path, "m.csv", text.encode()))
    assert list(f.numbered_rows()) == [
        (2, ["Ali", "خیابان ولیعصر\nپلاک ۱۲"]),
        (3, ["Sara", "x"]),
    ]


def test_cells_are_stripped_padded_and_trimmed(tmp_path):
    text = "name , phone ,city\n  Ali  ,0912\nSara,1,2,,,\nReza,1,2,,extra,\n"
    f = read_rows(write(tmp_path, "p.csv", text.encode()))
    assert f.headers == ["name", "phone", "city"]
    assert read_all(f) == [
        ["Ali", "0912", ""],
        ["Sara", "1", "2"],
        ["Reza", "1", "2", "", "extra"],
    ]


def test_excel_leading_zero_formula_is_unwrapped(tmp_path):
    text = 'name,mobile\nAli,="09121234567"\nSara,"=""0935"""\n'
    f = read_rows(write(tmp_path, "z.csv", text.encode()))
    assert read_all(f) == [["Ali", "09121234567"], ["Sara", "0935"]]


def test_header_only_file_has_no_rows(tmp_path):
    f = read_rows(write(tmp_path, "h.csv", b"name,phone\r\n"))
    assert f.headers == ["name", "phone"]
    assert read_all(f) == []


def test_trailing_empty_headers_are_ignored(tmp_path):
    f = read_rows(write(tmp_path, "t.csv", b"name,phone,,\nAli,1,,\n"))
    assert f.headers == ["name", "phone"]
    assert read_all(f) == [["Ali", "1"]]


@pytest.mark.parametrize("data", [b"", b"\n\n\r\n", b"  \n ,, \n", codecs.BOM_UTF8])
def test_empty_csv(tmp_path, data):
    with pytest.raises(ImportFileError, match="empty"):
        read_rows(write(tmp_path, "e.csv", data))


def test_duplicate_headers_name_both_columns(tmp_path):
    with pytest.raises(ImportFileError) as info:
        read_rows(write(tmp_path, "d.csv", "Email,نام,email \n".encode()))
    message = str(info.value)
    assert "column 3 (C)" in message
    assert "column 1 (A)" in message
    assert "d.csv" in message


def test_duplicate_headers_are_compared_folded(tmp_path):
    # Arabic and Persian spellings of the same header are the same column name.
    with pytest.raises(ImportFileError, match=r"column 2 \(B\)"):
        read_rows(write(tmp_path, "d.csv", "نام خانوادگی,نام خانوادگي\n".encode()))


def test_empty_header_names_the_column(tmp_path):
    with pytest.raises(ImportFileError, match=r"column 2 \(B\) has no header"):
        read_rows(write(tmp_path, "e.csv", b"name,,phone\nAli,x,1\n"))


def test_xlsx_saved_as_csv_is_reported(tmp_path):
    path = tmp_path / "real.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["name"])
    wb.save(path)
    with pytest.raises(ImportFileError, match="not CSV"):
        read_rows(path.read_bytes(), filename="renamed.csv")


# --- inputs and extensions ---------------------------------------------------------


def test_bytes_and_file_objects(tmp_path):
    data = PERSIAN_CSV.encode("utf-8")
    assert read_all(read_rows(data, filename="upload.CSV")) == PERSIAN_ROWS
    assert read_all(read_rows(io.BytesIO(data), filename="upload.csv")) == PERSIAN_ROWS
    # The upload's own name decides the format, not the temporary path.
    path = write(tmp_path, "tmp-upload-1234", data)
    assert read_all(read_rows(path, filename="contacts.csv")) == PERSIAN_ROWS
    assert read_all(read_rows(str(path), filename="contacts.csv")) == PERSIAN_ROWS


def test_bytes_need_a_filename():
    with pytest.raises(TypeError, match="filename"):
        read_rows(b"a,b\n")


@pytest.mark.parametrize("name", ["contacts.pdf", "contacts", "contacts.docx"])
def test_unsupported_extension(tmp_path, name):
    with pytest.raises(ImportFileError, match="unsupported file type"):
        read_rows(b"a,b\n", filename=name)


def test_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="not found"):
        read_rows(tmp_path / "nope.csv")


def test_closing_early_stops_iteration(tmp_path):
    f = read_rows(write(tmp_path, "c.csv", PERSIAN_CSV.encode()))
    assert next(f.rows) == PERSIAN_ROWS[0]
    f.close()
    assert list(f.rows) == []


# --- XLSX --------------------------------------------------------------------------


def make_workbook(path, rows, *, title="مخاطبین", start_row=1, extra_sheets=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=start_row + offset, column=col, value=value)
    for name, sheet_rows in extra_sheets:
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(row)
    wb.save(path)
    return path


XLSX_ROWS = [
    ["نام", " موبایل ", "کد ملی", "تاریخ تولد", "آخرین تماس", "امتیاز", "فعال", "توضیحات"],
    ["  علی ", 9121234567.0, 13542419, dt.date(1990, 5, 17),
     dt.datetime(2024, 3, 20, 10, 30), 4.5, True, None],
    ["مریم", "09351234567", "0013542419", None, None, 0.1 + 0.2, False, "مشتری ویژه"],
    [None, None, None, None, None, None, None, None],
    ["رضا", 989121234567, None, None, dt.datetime(2024, 1, 1), -3.0, None, 1e20],
]
XLSX_EXPECTED = [
    ["علی", "9121234567", "13542419", "1990-05-17", "2024-03-20T10:30:00", "4.5", "TRUE", ""],
    ["مریم", "09351234567", "0013542419", "", "", "0.3", "FALSE", "مشتری ویژه"],
    ["", "", "", "", "", "", "", ""],
    ["رضا", "989121234567", "", "", "2024-01-01", "-3", "", "100000000000000000000"],
]


def read_openpyxl(path, sheet=None):
    # The fallback used when python-calamine is not installed.
    return readers._read_openpyxl(path, None, path.name, ".xlsx", sheet)


ENGINES = {
    "calamine": lambda path, sheet=None: read_rows(path, sheet=sheet),
    "openpyxl": read_openpyxl,
}


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    return ENGINES[request.param]


def test_xlsx_values_as_text(tmp_path, engine):
    path = make_workbook(tmp_path / "contacts.xlsx", XLSX_ROWS)
    f = engine(path)
    assert f.headers == ["نام", "موبایل", "کد ملی", "تاریخ تولد", "آخرین تماس", "امتیاز",
                         "فعال", "توضیحات"]
    assert f.format == "xlsx"
    assert f.encoding is None
    assert f.sheet == "مخاطبین"
    assert f.row_number == 2
    assert read_all(f) == XLSX_EXPECTED


def test_xlsx_float_phone_feeds_the_validators(tmp_path, engine):
    from peyvand_contacts.identifiers import national_id
    from peyvand_contacts.phones import normalize_phone

    path = make_workbook(tmp_path / "c.xlsx", XLSX_ROWS)
    rows = read_all(engine(path))
    assert normalize_phone(rows[0][1]) == "+989121234567"
    assert national_id(rows[0][2]) == "0013542419"


def test_xlsx_header_below_blank_rows(tmp_path, engine):
    path = make_workbook(tmp_path / "c.xlsx", [["name", "phone"], ["Ali", 1], [], ["Sara", 2]],
                         start_row=3)
    f = engine(path)
    assert f.headers == ["name", "phone"]
    assert f.row_number == 4
    assert list(f.numbered_rows()) == [(4, ["Ali", "1"]), (6, ["Sara", "2"])]


def test_row_numbers_when_a_reader_starts_at_the_first_used_row():
    # Some python-calamine versions may yield rows from the first used row
    # instead of from row 1; the known start row must then be added.
    rows = [["name", "phone"], ["Ali", 1.0]]
    f = readers._from_cell_rows(rows, "c.xlsx", ".xlsx", "Sheet1", 2, closer=None)
    assert f.row_number == 4
    assert list(f.numbered_rows()) == [(4, ["Ali", "1"])]


def test_xlsx_sheet_selection(tmp_path, engine):
    path = make_workbook(
        tmp_path / "c.xlsx", [["name"], ["first sheet"]],
        extra_sheets=[("Leads", [["email"], ["a@b.ir"]])],
    )
    assert read_all(engine(path)) == [["first sheet"]]
    by_name = engine(path, sheet="Leads")
    assert (by_name.sheet, by_name.headers) == ("Leads", ["email"])
    assert read_all(by_name) == [["a@b.ir"]]
    assert read_all(engine(path, sheet="leads")) == [["a@b.ir"]]
    assert read_all(engine(path, sheet=1)) == [["a@b.ir"]]
    with pytest.raises(ImportFileError, match="no sheet named 'Customers'.*'Leads'"):
        engine(path, sheet="Customers")
    with pytest.raises(ImportFileError, match="no sheet number 5"):
        engine(path, sheet=5)


def test_xlsx_duplicate_headers(tmp_path, engine):
    path = make_workbook(tmp_path / "c.xlsx", [["نام", "موبایل", "نام"]])
    with pytest.raises(ImportFileError, match=r"column 3 \(C\).*column 1 \(A\)"):
        engine(path)


def test_xlsx_empty_header(tmp_path, engine):
    path = make_workbook(tmp_path / "c.xlsx", [["نام", None, "موبایل"], ["a", "b", "c"]])
    with pytest.raises(ImportFileError, match=r"column 2 \(B\) has no header"):
        engine(path)


def test_xlsx_empty_sheet(tmp_path, engine):
    path = make_workbook(tmp_path / "c.xlsx", [])
    with pytest.raises(ImportFileError, match="empty"):
        engine(path)


def test_xlsx_from_bytes(tmp_path):
    path = make_workbook(tmp_path / "c.xlsx", XLSX_ROWS)
    f = read_rows(path.read_bytes(), filename="upload.xlsx")
    assert read_all(f) == XLSX_EXPECTED


def test_corrupt_xlsx(tmp_path, engine):
    path = make_workbook(tmp_path / "c.xlsx", XLSX_ROWS)
    data = path.read_bytes()
    broken = write(tmp_path, "broken.xlsx", data[: len(data) // 2])
    with pytest.raises(ImportFileError, match="corrupt"):
        engine(broken)


def test_csv_with_xlsx_extension(tmp_path):
    with pytest.raises(ImportFileError, match="not an Excel file"):
        read_rows(PERSIAN_CSV.encode(), filename="people.xlsx")
    with pytest.raises(ImportFileError, match="corrupt"):
        read_rows(write(tmp_path, "people.xlsx", PERSIAN_CSV.encode()))


def test_empty_xlsx_file(tmp_path):
    with pytest.raises(ImportFileError, match="empty"):
        read_rows(b"", filename="e.xlsx")
    with pytest.raises(ImportFileError, match="empty"):
        read_rows(write(tmp_path, "e.xlsx", b""))
