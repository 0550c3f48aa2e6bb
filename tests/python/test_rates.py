"""RateCard from Python: round trips, user overrides, errors with their location, price()."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import counterfoil as cf

OVERRIDE = """
schema = "counterfoil.ratecard/1"
[[model]]
id = "claude-opus-5"
released = "2026-07-24"
geo_eligible = true
  [[model.rate]]
  valid_from = "2026-07-24"
  input = "4.25"
  output = "21.25"
"""


def test_round_trip_through_toml(tmp_path: Path) -> None:
    card = cf.RateCard.default()
    path = tmp_path / "card.toml"
    path.write_text(card.to_toml())
    back = cf.RateCard.load(path)
    assert back.to_frame().drop("origin").equals(card.to_frame().drop("origin"))
    assert back.as_of == dt.date(2026, 11, 24)


def test_override_changes_exactly_the_rows_it_names(tmp_path: Path) -> None:
    path = tmp_path / "negotiated.toml"
    path.write_text(OVERRIDE)
    user = cf.RateCard.load(path).to_frame()
    base = cf.RateCard.default().to_frame()
    other = pl.col("model") != "claude-opus-5"
    assert user.filter(other).drop("origin").equals(base.filter(other).drop("origin"))
    opus = user.filter(~other)
    assert opus.height == 1  # the fast-mode row of the bundled entry is replaced too
    assert opus["input"][0] == Decimal("4.25")
    assert opus["origin"][0] == str(path)


@pytest.mark.parametrize(
    ("text", "line", "word"),
    [
        ('schema = "counterfoil.ratecard/1"\ncurrency = "EUR"\n', 2, "USD"),
        (
            'schema = "counterfoil.ratecard/1"\n[[model]]\nid = "x"\n  [[model.rate]]\n  valid_from = "2026-13-01"\n',
            5,
            "",
        ),
        (
            'schema = "counterfoil.ratecard/1"\n[[modifier]]\nid = "m"\ndimension = "colour"\n'
            'value = "x"\nfactor = "2"\n',
            3,
            "dimension",
        ),
    ],
)
def test_bad_cards_raise_with_location(tmp_path: Path, text: str, line: int, word: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(cf.RateCardError) as info:
        cf.RateCard.load(path)
    assert f"bad.toml:{line}" in str(info.value)
    assert word in str(info.value)


def test_price_with_a_user_card(client: cf.AdminClient, org: cf.simulate.Organization) -> None:
    start, end = org.window
    usage = client.usage(start, end, bucket_width="1d")
    card = cf.RateCard.from_toml('schema = "counterfoil.ratecard/1"\ndiscount_factor = "0.5"\n')
    full = cf.price(usage)
    half = cf.price(usage, card)
    assert half.schema["expected_usd"] == pl.Decimal(38, 12)
    tokens = pl.col("cost_type") == "tokens"
    assert full.filter(tokens)["expected_usd"].sum() == 2 * half.filter(tokens)["expected_usd"].sum()
    assert set(full["price_status"]) <= {"priced", "not_in_cost_report", "unpriced"}
