"""The naming rules on their own: snake_case, scripts, keywords, length, clashes, stability, pins."""

from __future__ import annotations

import pytest

from transforms.naming import CustomField, assign_columns, base_column_name, load_pinned_columns, snake_case

KEY_A = "a1" * 20
KEY_B = "b2" * 20
KEY_C = "c3" * 20


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Deal Owner", "deal_owner"),
        ("dealOwnerARRValue", "deal_owner_arr_value"),
        ("Société – Catégorie", "societe_categorie"),
        ("Straße & Ørsted / Łódź", "strasse_orsted_lodz"),
        ("客户等级", "客户等级"),
        ("Клиент 2", "клиент_2"),
        ("🔥 Hot   score!!", "hot_score"),
        ("  __Already_snake__ ", "already_snake"),
    ],
)
def test_snake_case(name, expected):
    assert snake_case(name) == expected


def test_base_names_for_hostile_names():
    assert base_column_name("2nd owner", KEY_A) == "field_2nd_owner"
    assert base_column_name("select", KEY_A) == "select_field"
    assert base_column_name("🔥", KEY_A) == "field_a1a1a1"  # nothing readable left: the key's start
    long = base_column_name("x" * 300, KEY_A)
    assert long == "x" * 63
    cjk = base_column_name("客" * 40, KEY_A)
    assert len(cjk.encode()) <= 63 and set(cjk) == {"客"}


def test_clash_with_builtin_and_between_fields_is_resolved_by_key():
    fields = [CustomField(KEY_B, "Region"), CustomField(KEY_A, "Region"), CustomField(KEY_C, "Title")]
    columns = {key: a.column for key, a in assign_columns(fields, builtin_columns={"title", "id"}).items()}
    assert columns == {KEY_A: "region", KEY_B: "region_b2b2b2", KEY_C: "title_c3c3c3"}


def test_composite_columns_clash_too():
    fields = [CustomField(KEY_A, "Deal", ("", "_currency")), CustomField(KEY_B, "Deal currency")]
    columns = {key: a.column for key, a in assign_columns(fields, builtin_columns=set()).items()}
    assert columns == {KEY_A: "deal", KEY_B: "deal_currency_b2b2b2"}


def test_long_names_that_clash_after_truncation_stay_within_63_bytes():
    prefix = "q" * 80
    fields = [CustomField(KEY_A, prefix + " one"), CustomField(KEY_B, prefix + " two")]
    columns = {key: a.column for key, a in assign_columns(fields, builtin_columns=set()).items()}
    assert columns == {KEY_A: "q" * 63, KEY_B: "q" * 56 + "_b2b2b2"}
    monetary = assign_columns([CustomField(KEY_C, prefix, ("", "_currency"))], builtin_columns=set())
    assert len((monetary[KEY_C].column + "_currency").encode()) == 63  # room left for the longest suffix


def test_kept_names_are_stable_and_renames_rename():
    first = assign_columns([CustomField(KEY_B, "Region")], builtin_columns=set())
    previous = {key: (a.field_name, a.column) for key, a in first.items()}
    # a new field with the same name and a smaller key: the existing column does not move
    second = assign_columns([CustomField(KEY_A, "Region"), CustomField(KEY_B, "Region")], set(), previous)
    assert (second[KEY_B].column, second[KEY_B].how) == ("region", "kept")
    assert second[KEY_A].column == "region_a1a1a1"
    renamed = assign_columns([CustomField(KEY_B, "Area")], set(), previous)
    assert renamed[KEY_B].column == "area"


def test_pins_win_and_clashing_pins_fail(tmp_path):
    pins = tmp_path / "column_names.toml"
    pins.write_text(f'[deal_fields]\n{KEY_A} = "region"\n', encoding="utf-8")
    pinned = load_pinned_columns(pins)["deal_fields"]
    previous = {KEY_B: ("Region", "region")}
    columns = assign_columns(
        [CustomField(KEY_A, "Zone"), CustomField(KEY_B, "Region")], set(), previous, pinned
    )
    assert (columns[KEY_A].column, columns[KEY_A].how) == ("region", "pinned")
    assert columns[KEY_B].column == "region_b2b2b2"
    with pytest.raises(ValueError, match="clashes"):
        assign_columns([CustomField(KEY_A, "Zone")], {"region"}, pinned=pinned)
    assert load_pinned_columns(tmp_path / "absent.toml") == {}
