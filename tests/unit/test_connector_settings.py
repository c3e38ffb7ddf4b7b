"""closedloop.connectors.settings_for: a connector's settings declared once, read from extra or the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

import attrs
import pytest

from closedloop import InvalidInput, NotConfigured, Settings
from closedloop.connectors import pairs, settings_for, variable


@attrs.frozen
class ShopSettings:
    api_key: str
    shops: Mapping[str, str]
    base_url: str = "https://api.example.com"
    page_size: int = 20
    verified_only: bool = False
    look_back: timedelta = timedelta(days=30)
    languages: tuple[str, ...] = ()
    secret: Callable[[], str] | str | None = None
    timeout: float | None = None


def extra(**given: object) -> Settings:
    return Settings(extra={"shop": given})


def test_settings_are_read_from_extra_as_given() -> None:
    read = settings_for(ShopSettings, extra(api_key="k", shops={"s1": "paris"}, page_size=50), "shop", environ={})
    assert read == ShopSettings(api_key="k", shops={"s1": "paris"}, page_size=50)


def test_the_environment_gives_text_converted_to_each_fields_type() -> None:
    environ = {
        "CLOSEDLOOP_SHOP_API_KEY": "k",
        "CLOSEDLOOP_SHOP_SHOPS": "s1=paris, s2 = lyon,",
        "CLOSEDLOOP_SHOP_PAGE_SIZE": "50",
        "CLOSEDLOOP_SHOP_VERIFIED_ONLY": "yes",
        "CLOSEDLOOP_SHOP_LOOK_BACK": "12h",
        "CLOSEDLOOP_SHOP_LANGUAGES": "fr,en",
        "CLOSEDLOOP_SHOP_SECRET": "s3cret",
        "CLOSEDLOOP_SHOP_TIMEOUT": "2.5",
        "CLOSEDLOOP_OTHER_API_KEY": "not ours",
    }
    read = settings_for(ShopSettings, Settings(), "shop", environ=environ)
    assert read == ShopSettings(
        api_key="k",
        shops={"s1": "paris", "s2": "lyon"},
        page_size=50,
        verified_only=True,
        look_back=timedelta(hours=12),
        languages=("fr", "en"),
        secret="s3cret",
        timeout=2.5,
    )
    assert variable("shop", "api_key") == "CLOSEDLOOP_SHOP_API_KEY"


def test_extra_wins_over_the_environment_and_nothing_configured_is_none() -> None:
    environ = {"CLOSEDLOOP_SHOP_API_KEY": "from the environment", "CLOSEDLOOP_SHOP_SHOPS": "s=p"}
    read = settings_for(ShopSettings, extra(api_key="from extra", shops={}), "shop", environ=environ)
    assert read is not None and read.api_key == "from extra"
    assert settings_for(ShopSettings, Settings(), "shop", environ={"CLOSEDLOOP_SHOP_API_KEY": ""}) is None


def test_a_function_is_kept_as_a_function() -> None:
    def fresh() -> str:
        return "token"

    read = settings_for(ShopSettings, extra(api_key="k", shops={}, secret=fresh), "shop", environ={})
    assert read is not None and read.secret is fresh


def test_an_unknown_key_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match=r"unknown shop setting\(s\): api_kye, zz; known: api_key, base_url"):
        settings_for(ShopSettings, extra(api_kye="k", zz=1), "shop", environ={})


def test_a_missing_setting_says_how_to_give_it() -> None:
    with pytest.raises(NotConfigured, match=r"needs shops: give Desk.open\(extra=\{'shop': \{'shops': \.\.\.\}\}\)"):
        settings_for(ShopSettings, extra(api_key="k"), "shop", environ={})
    with pytest.raises(NotConfigured, match="half configured: set CLOSEDLOOP_SHOP_SHOPS too"):
        settings_for(ShopSettings, Settings(), "shop", environ={"CLOSEDLOOP_SHOP_API_KEY": "k"})


def test_a_field_may_keep_the_variable_users_already_set() -> None:
    @attrs.frozen
    class Renamed:
        base_url: str = attrs.field(default="https://api.example.com", metadata={"variable": "URL"})

    read = settings_for(Renamed, Settings(), "shop", environ={"CLOSEDLOOP_SHOP_URL": "http://127.0.0.1:8080"})
    assert read == Renamed(base_url="http://127.0.0.1:8080")
    assert settings_for(Renamed, Settings(), "shop", environ={"CLOSEDLOOP_SHOP_BASE_URL": "http://x"}) is None


def test_pairs_name_the_variable_and_the_expected_shape() -> None:
    assert pairs("a=1, b = 2,", "X") == {"a": "1", "b": "2"}
    with pytest.raises(InvalidInput, match=r"APPS lists 'com\.example\.app=place-id' pairs separated by commas"):
        pairs("com.a", "APPS", example="com.example.app=place-id")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("page_size", "many", "page_size.*whole number"),
        ("page_size", True, "page_size.*whole number"),
        ("verified_only", "perhaps", "true or false"),
        ("look_back", "a month", "duration such as 30d"),
        ("shops", ["s1"], "dict of texts"),
        ("shops", {"s1": 7}, "dict of texts"),
        ("languages", "fr", "list of texts"),
        ("api_key", 12, "api_key.*must be text"),
        ("timeout", "soon", "timeout.*number"),
        ("secret", 12, "fits none of its types"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_setting(name: str, value: object, words: str) -> None:
    given = {"api_key": "k", "shops": {}, name: value}
    with pytest.raises(InvalidInput, match=words):
        settings_for(ShopSettings, Settings(extra={"shop": given}), "shop", environ={})


def test_a_bad_variable_is_named() -> None:
    environ = {"CLOSEDLOOP_SHOP_API_KEY": "k", "CLOSEDLOOP_SHOP_SHOPS": "s1"}
    with pytest.raises(InvalidInput, match="CLOSEDLOOP_SHOP_SHOPS lists 'name=value' pairs"):
        settings_for(ShopSettings, Settings(), "shop", environ=environ)


def test_the_classs_own_checks_are_refusals() -> None:
    @attrs.frozen
    class Checked:
        page_size: int = attrs.field(default=10, validator=attrs.validators.le(100))

    with pytest.raises(InvalidInput, match="the shop settings were refused"):
        settings_for(Checked, Settings(extra={"shop": {"page_size": 500}}), "shop", environ={})


def test_extra_must_hold_a_dict_and_the_kind_an_attrs_class() -> None:
    with pytest.raises(InvalidInput, match=r"extra\['shop'\] must be a dict"):
        settings_for(ShopSettings, Settings(extra={"shop": "k"}), "shop", environ={})
    with pytest.raises(InvalidInput, match="attrs class"):
        settings_for(dict, Settings(), "shop", environ={})


@attrs.frozen
class Renamed:
    base_url: str = attrs.field(default="https://api.example.com", metadata={"variable": "URL"})
    page_size: int = 20


def test_variable_names_a_fields_variable_as_settings_for_reads_it() -> None:
    assert variable("shop", attrs.fields(Renamed).base_url) == "CLOSEDLOOP_SHOP_URL"
    assert variable("shop", attrs.fields(Renamed).page_size) == "CLOSEDLOOP_SHOP_PAGE_SIZE"
    assert variable("shop", "page_size") == "CLOSEDLOOP_SHOP_PAGE_SIZE"
    found = settings_for(Renamed, Settings(), "shop", environ={variable("shop", attrs.fields(Renamed).base_url): "x"})
    assert found == Renamed(base_url="x")


@pytest.mark.parametrize("field", [None, 3, "", Renamed])
def test_variable_refuses_what_is_neither_a_name_nor_a_field(field: object) -> None:
    with pytest.raises(InvalidInput, match="a field's name or the attrs field itself"):
        variable("shop", field)  # type: ignore[arg-type]
