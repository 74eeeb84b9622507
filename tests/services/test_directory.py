"""Reading and validating the directory's CSV files: every problem with its file and line."""

import datetime as dt

from bot.paths import ProjectPaths
from bot.services.check import check_services, load_reference, read_services
from bot.services.directory import read_directory_file
from tests.factories import PROJECT_ROOT
from tests.services.helpers import HEADER, csv_text, project, row, write


def problems_of(paths, name):
    return [str(p) for f in read_services(paths) if f.path.name == name for p in f.problems]


def test_shipped_directory_is_valid_covers_every_category_and_is_flagged_as_example():
    from bot.services.categories import CATEGORIES

    files = read_services(ProjectPaths(PROJECT_ROOT))
    assert {f.path.stem for f in files} >= {"ukraine", "cambodia", "colombia", "lebanon"}
    for directory_file in files:
        assert directory_file.problems == ()
        offered = {c for s in directory_file.services for c in s.categories}
        assert offered == set(CATEGORIES), directory_file.path
        assert all(s.example and s.organisation.startswith("Example") for s in directory_file.services)
        # Example entries never carry an invented number: only profile numbers or none.
        assert all(s.phone in ("", "profile:emergency", "profile:ambulance") for s in directory_file.services)


def test_valid_file_with_hxl_row_reads_every_field(tmp_path):
    paths = project(tmp_path)
    write(
        paths,
        "ua.csv",
        csv_text(row("a1", "rehabilitation;legal", "kharkiv", "izium", phone="101", example="false")),
    )
    [directory_file] = read_services(paths)
    assert directory_file.problems == ()
    [service] = directory_file.services
    assert (service.source, service.id, service.categories) == ("ua", "a1", ("rehabilitation", "legal"))
    assert (service.region, service.district, service.phone) == ("kharkiv", "izium", "101")
    assert service.languages == ("uk", "en") and service.example is False
    assert service.last_verified == dt.date(2025, 1, 31)


def test_each_broken_row_is_reported_with_its_line(tmp_path):
    paths = project(tmp_path)
    write(
        paths,
        "ua.csv",
        csv_text(
            row("ok1", region="kharkiv"),  # line 3 (after the HXL row)
            row("b1", categories="prosthetics"),  # 4
            row("b2", region="atlantis"),  # 5
            row("b3", phone="12x45", example="false"),  # 6
            row("b4", last_verified="31/01/2025"),  # 7
            row("b5", region="kharkiv", district="kramatorsk"),  # 8: district of another region
            row("ok1"),  # 9: duplicate id
            row("b6", cost="cheap", phone="profile:police", example="false"),  # 10
            row("b7", country="narnia"),  # 11
            # 12: Cambodia has no report number
            row("b8", phone="profile:report", country="cambodia", example="false"),
        ),
    )
    found = problems_of(paths, "ua.csv")
    where = "content/services/ua.csv"
    expected = [
        f"{where}:4: unknown category 'prosthetics'",
        f"{where}:5: unknown region 'atlantis' for ukraine",
        f"{where}:6: '12x45' is not a valid phone number for UA",
        f"{where}:7: last_verified '31/01/2025' is not a date",
        f"{where}:8: unknown district 'kramatorsk' in region 'kharkiv'",
        f"{where}:9: id 'ok1' is already used on line 3",
        f"{where}:10: cost 'cheap' must be one of",
        f"{where}:11: unknown country 'narnia'",
        f"{where}:12: phone 'profile:report': the cambodia profile has no 'report' number",
    ]
    for message in expected:
        assert any(f.startswith(message) for f in found), (message, found)
    assert not any(f.startswith(f"{where}:3:") for f in found)
    assert not any(":10:" in f and "profile:police" in f for f in found)  # Ukraine has a police number


def test_missing_column_empty_required_cells_and_wrong_cell_count(tmp_path):
    paths = project(tmp_path)
    write(paths, "a.csv", HEADER.replace(",cost", "") + "\n")
    write(paths, "b.csv", csv_text(row("x1", cost=""), "x2,too,few", hxl=False))
    assert problems_of(paths, "a.csv") == ["content/services/a.csv:1: missing column 'cost'"]
    found = problems_of(paths, "b.csv")
    assert "content/services/b.csv:2: 'cost' is empty" in found
    assert "content/services/b.csv:3: 3 cells, but 15 columns" in found


def test_future_date_and_not_utf8(tmp_path):
    paths = project(tmp_path)
    path = write(paths, "ua.csv", csv_text(row("x1", last_verified="2999-01-01")))
    result = read_directory_file(path, load_reference(paths), "ua.csv", today=dt.date(2025, 1, 1))
    assert [str(p) for p in result.problems] == ["ua.csv:3: last_verified 2999-01-01 is in the future"]
    path.write_bytes("id,organisation\nx,caf\xe9\n".encode("latin-1"))
    assert "cannot read the file as UTF-8" in problems_of(paths, "ua.csv")[0]


def test_content_check_reports_region_file_problems(tmp_path):
    paths = project(tmp_path)
    regions = paths.regions / "lebanon.yml"
    text = regions.read_text(encoding="utf-8")
    text = text.replace("es: Beirut, ", "").replace(
        "aliases: [Aakkar, Akar, Halba]", "aliases: [Aakkar, Beyrouth]"
    )
    regions.write_text(text, encoding="utf-8")
    (paths.regions / "atlantis.yml").write_text("regions: {}\n", encoding="utf-8")
    found = [str(p) for p in check_services(paths)]
    beirut_line = next(n for n, line in enumerate(text.splitlines(), 1) if "Бейрут" in line)
    assert f"content/regions/lebanon.yml:{beirut_line}: region 'beirut': no name in es" in found
    assert "content/regions/atlantis.yml:1: no country profile content/countries/atlantis.yml" in found


def test_alias_shared_by_two_regions_is_reported(tmp_path):
    paths = project(tmp_path)
    regions = paths.regions / "lebanon.yml"
    text = regions.read_text(encoding="utf-8").replace("[Aakkar, Akar, Halba]", "[Aakkar, Beyrouth]")
    regions.write_text(text, encoding="utf-8")
    assert "content/regions/lebanon.yml:1: 'beyrouth' names several places: akkar, beirut" in [
        str(p) for p in check_services(paths)
    ]
