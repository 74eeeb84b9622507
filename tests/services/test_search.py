"""Search ranking: same district, then same region, then national; at most three."""

from bot.services.commands import import_services
from bot.services.search import DISTRICT, NATIONAL, REGION, find_services
from tests.services.helpers import csv_text, project, row, write


def load(paths, database, *rows):
    import io

    write(paths, "ua.csv", csv_text(*rows))
    assert import_services(paths, [], database=database, out=io.StringIO()) == 0


def test_district_then_region_then_national_at_most_three(app_database, tmp_path):
    paths = project(tmp_path)
    load(
        paths,
        app_database,
        row("national", organisation="A national"),
        row("other-region", region="donetsk", organisation="B elsewhere"),
        row("region", region="kharkiv", organisation="C region"),
        row("district", region="kharkiv", district="izium", organisation="D district"),
        row("other-district", region="kharkiv", district="kupiansk", organisation="E other district"),
        row("legal-only", "legal", region="kharkiv", district="izium"),
    )
    found = find_services(app_database, "ukraine", "rehabilitation", "kharkiv", "izium")
    assert [(m.service.id, m.rank) for m in found] == [
        ("district", DISTRICT),
        ("region", REGION),
        ("other-district", REGION),
    ]
    found = find_services(app_database, "ukraine", "rehabilitation", "kharkiv")
    assert [m.service.id for m in found] == ["region", "district", "other-district"]
    found = find_services(app_database, "ukraine", "rehabilitation", "kherson")
    assert [(m.service.id, m.rank) for m in found] == [("national", NATIONAL)]
    assert find_services(app_database, "cambodia", "rehabilitation", "pailin") == []


def test_real_entries_before_examples_and_retired_rows_never_found(app_database, tmp_path):
    paths = project(tmp_path)
    load(
        paths,
        app_database,
        row("ex", organisation="A example"),
        row("real", organisation="Z real", example="false"),
    )
    assert [m.service.id for m in find_services(app_database, "ukraine", "rehabilitation", None)] == [
        "real",
        "ex",
    ]
    load(paths, app_database, row("ex", organisation="A example"))
    assert [m.service.id for m in find_services(app_database, "ukraine", "rehabilitation", None)] == ["ex"]
