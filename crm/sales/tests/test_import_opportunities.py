"""The CRM Sales Opportunities import against the real files, and against a tiny file of broken rows."""

import csv
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.accounts.models import Team, User
from crm.catalog.models import PriceListItem, Product
from crm.parties.models import Party, PartyEvent
from crm.sales.models import Deal, DealEvent, DealLine, DealStageChange, Pipeline, Stage
from crm.sales.opportunities import PIPELINE_NAME, opportunities_import
from crm.sales.reports import SummaryFilters, sales_summary

# The shared data set lives next to the repository, never inside it (see ../shared/data/README.md).
DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "crm_sales_opportunities"
TABLES = [Party, PartyEvent, User, Team, Product, PriceListItem, Pipeline, Stage, Deal, DealLine, DealStageChange,
          DealEvent]  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in TABLES}


@pytest.fixture
def data_dir() -> Path:
    if not (DATA_DIR / "sales_pipeline.csv").exists():
        pytest.skip(f"shared data set {DATA_DIR} is absent (see /work/shared/data/README.md, section 1)")
    return DATA_DIR


def figures_from_csv(path: Path) -> tuple[int, int, Decimal]:
    """Won and lost counts and the won total, read straight from sales_pipeline.csv."""
    with (path / "sales_pipeline.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    won = [r for r in rows if r["deal_stage"] == "Won"]
    lost = [r for r in rows if r["deal_stage"] == "Lost"]
    return len(won), len(lost), sum((Decimal(r["close_value"]) for r in won), Decimal("0"))


@pytest.mark.django_db
def test_the_crm_report_shows_the_won_total_and_win_rate_of_the_files(data_dir: Path, head_of_sales: User) -> None:
    # given
    won, lost, total = figures_from_csv(data_dir)
    expected_rate = (Decimal(won * 100) / Decimal(won + lost)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # when
    result = opportunities_import(directory=data_dir)
    # then
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=Pipeline.objects.get(name=PIPELINE_NAME)))
    assert (report.won_count, report.lost_count) == (won, lost) == (4238, 2473)
    assert [(f.currency, f.won_amount) for f in report.currencies] == [("USD", total)]
    assert total == Decimal("10005534")
    assert report.win_rate == expected_rate == Decimal("63.15")
    assert (result.files.won_total, result.files.win_rate) == (total, expected_rate)
    assert result.crm is not None
    assert result.crm.win_rate == expected_rate


@pytest.mark.django_db
def test_what_the_import_creates(data_dir: Path) -> None:
    result = opportunities_import(directory=data_dir)

    assert result.applied
    assert result.errors == []
    tallies = {name: t.created for name, t in result.tallies.items()}
    assert {k: tallies[k] for k in ("users", "teams", "products", "clients", "deals", "stages")} == {
        "users": 41, "teams": 6, "products": 7, "clients": 85, "deals": 8800 - 1425, "stages": 4,
    }  # fmt: skip
    deal = Deal.objects.select_related("owner__team__head", "party", "stage").get(external_id="Z063OYW0")
    assert (deal.owner.username, deal.owner.has_usable_password(), deal.owner.team.head.username) == (  # type: ignore[union-attr]
        "darcel.schlecht", False, "melvin.marxen",
    )  # fmt: skip
    assert (deal.party.name, deal.stage.name, deal.amount, deal.currency_id) == ("Isdom", "Won", Decimal("4514"), "USD")
    assert deal.closed_at is not None
    assert timezone.localtime(deal.closed_at).date().isoformat() == "2017-03-11"
    line = deal.lines.get()
    assert (line.product.name, line.list_price, line.price) == ("GTX Pro", Decimal("4821.00"), Decimal("4514.00"))
    assert [(c.from_stage and c.from_stage.name, c.stage.name) for c in deal.stage_changes.all()] == [
        (None, "Engaging"), ("Engaging", "Won"),
    ]  # fmt: skip
    assert list(deal.events.order_by("at").values_list("kind", flat=True)) == ["created", "stage_changed"]
    acme = Party.objects.get(name="Acme Corporation")
    assert (acme.search_name, acme.industry, acme.size, acme.region) == (
        "acme corporation", "technology", "large", "United States",
    )  # fmt: skip
    assert Party.objects.get(name="Codehow").notes.endswith("Subsidiary of Acme Corporation.")


@pytest.mark.django_db
def test_products_spelled_differently_are_mapped_and_reported(data_dir: Path) -> None:
    result = opportunities_import(directory=data_dir)

    warnings = [p for p in result.problems if p.level == "warning" and "GTXPro" in p.message]
    assert len(warnings) == 1480
    assert warnings[0].row == 3  # line 3 of sales_pipeline.csv: Z063OYW0
    assert warnings[0].message == (
        "Product “GTXPro” is not in products.csv; mapped to “GTX Pro” by its normalised name."
    )
    assert DealLine.objects.filter(product__name="GTX Pro").count() == 1480 - sum(
        1 for p in result.problems if p.level == "skipped" and p.row in {w.row for w in warnings}
    )


@pytest.mark.django_db
def test_opportunities_without_an_account_are_reported_not_imported(data_dir: Path) -> None:
    result = opportunities_import(directory=data_dir)

    skipped = [p for p in result.problems if p.level == "skipped"]
    assert len(skipped) == 1425
    assert (skipped[0].file, skipped[0].row) == ("sales_pipeline.csv", 11)
    assert not Deal.objects.filter(external_id="HAXMC4IX").exists()  # line 11, no account


@pytest.mark.django_db
def test_a_second_run_duplicates_nothing(data_dir: Path) -> None:
    opportunities_import(directory=data_dir)
    before = counts()

    again = opportunities_import(directory=data_dir)

    assert counts() == before
    assert again.tallies["deals"].created == 0
    assert again.tallies["deals"].unchanged == 7375
    assert again.tallies["clients"].unchanged == 85
    assert again.tallies["users"].unchanged == 41


@pytest.mark.django_db
def test_a_second_run_updates_a_changed_deal_and_records_the_move(data_dir: Path) -> None:
    opportunities_import(directory=data_dir)
    deal = Deal.objects.get(external_id="Z063OYW0")
    engaging = Stage.objects.get(pipeline=deal.pipeline, name="Engaging")
    Deal.objects.filter(pk=deal.pk).update(stage=engaging, closed_at=None)  # someone reopened it by hand

    again = opportunities_import(directory=data_dir)

    deal.refresh_from_db()
    assert (again.tallies["deals"].updated, deal.stage.name, deal.version) == (1, "Won", 2)
    assert deal.stage_changes.last().from_stage == engaging  # type: ignore[union-attr]


@pytest.mark.django_db
def test_a_dry_run_changes_nothing_and_still_compares(data_dir: Path) -> None:
    before = counts()
    out = StringIO()

    call_command("import_sales_opportunities", "--path", str(data_dir), "--dry-run", stdout=out)

    assert counts() == before
    text = out.getvalue()
    assert f"{'won total, USD':<24}{'10005534.00':>16}{'10005534.00':>16}" in text
    assert f"{'win rate':<24}{'63.15%':>16}{'63.15%':>16}" in text
    assert "The CRM's report equals the figures computed from the files." in text
    assert "Dry run: nothing was written." in text
    gtx_pro = "Product “GTXPro” is not in products.csv; mapped to “GTX Pro” by its normalised name."
    assert f"WARNING sales_pipeline.csv, 1480 rows: {gtx_pro} Rows: 3, 13, 20," in text
    assert "SKIPPED sales_pipeline.csv, 1425 rows: No account: a prospect without a client is not imported" in text


BROKEN_PIPELINE = """opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
OK000001,Anna Snelling,GTX Pro,Acme,Won,2017-01-02,2017-02-03,100
BAD00002,Nobody Known,GTX Pro,Acme,Won,2017-01-02,2017-02-03,100
BAD00003,Anna Snelling,GTX Pro,Acme,Signed,2017-01-02,2017-02-03,100
BAD00004,Anna Snelling,GTX Pro,Acme,Won,2017-13-02,2017-02-03,100
BAD00005,Anna Snelling,GTX Pro,Acme,Won,2017-01-02,2017-02-03,12x
OK000006,Anna Snelling,GTXPro,Acme,Lost,2017-01-02,2017-02-03,0
"""


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(
        "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
        "Acme,retail,2000,10.5,20,Italy,\n",
        encoding="utf-8",
    )
    (tmp_path / "products.csv").write_text("product,series,sales_price\nGTX Pro,GTX,4821\n", encoding="utf-8")
    (tmp_path / "sales_teams.csv").write_text(
        "sales_agent,manager,regional_office\nAnna Snelling,Dustin Brinkmann,Central\n", encoding="utf-8"
    )
    (tmp_path / "sales_pipeline.csv").write_text(BROKEN_PIPELINE, encoding="utf-8")
    return tmp_path


@pytest.mark.django_db
def test_rows_that_cannot_be_read_are_reported_by_line_and_nothing_is_written(broken_dir: Path) -> None:
    before = counts()

    result = opportunities_import(directory=broken_dir)

    assert [(p.file, p.row, p.message) for p in result.errors] == [
        ("sales_pipeline.csv", 3, "Unknown sales agent “Nobody Known” (not in sales_teams.csv)."),
        ("sales_pipeline.csv", 4, "Unknown deal stage “Signed”."),
        ("sales_pipeline.csv", 5, "engage_date is not a date (YYYY-MM-DD): “2017-13-02”."),
        ("sales_pipeline.csv", 6, "close_value is not an amount: “12x”."),
    ]
    assert (result.applied, counts()) == (False, before)


@pytest.mark.django_db
def test_the_command_fails_on_broken_rows_and_names_them(broken_dir: Path) -> None:
    before = counts()
    out = StringIO()

    with pytest.raises(CommandError, match="4 rows could not be read; nothing was imported"):
        call_command("import_sales_opportunities", "--path", str(broken_dir), stdout=out)

    assert "ERROR sales_pipeline.csv, 1 row: Unknown deal stage “Signed”. Rows: 4." in out.getvalue()
    assert counts() == before


@pytest.mark.django_db
def test_the_fixed_file_imports_with_the_misspelt_product_as_a_warning(broken_dir: Path, head_of_sales: User) -> None:
    lines = BROKEN_PIPELINE.splitlines()
    (broken_dir / "sales_pipeline.csv").write_text("\n".join([lines[0], lines[1], lines[6]]) + "\n", encoding="utf-8")

    result = opportunities_import(directory=broken_dir)

    assert [(p.row, p.level) for p in result.problems] == [(3, "warning")]
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=Pipeline.objects.get(name=PIPELINE_NAME)))
    assert (report.won_count, report.lost_count, report.win_rate) == (1, 1, Decimal("50.00"))
    assert report.in_currency("USD").won_amount == Decimal("100.00")
    assert Party.objects.get(name="Acme").size == "small"
