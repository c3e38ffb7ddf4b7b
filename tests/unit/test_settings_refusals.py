"""Desk.open refuses settings it could not use, saying which and what to give, before opening anything."""

from __future__ import annotations

import pytest

import closedloop as cl


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"business_name": "Chez nous\r\nBcc: someone@example.com"}, "business_name must be one line"),
        ({"business_name": None}, "business_name must be text"),
        ({"reply_link_base": "https://example.com/\n"}, "reply_link_base must be one line"),
        ({"customer_service_email": ["care@example.com"]}, "customer_service_email must be text"),
        ({"file_link_template": "\ud800{id}"}, "lone surrogate"),
        ({"default_region": 33}, "default_region must be text"),
        ({"plugins": "closedloop_echo"}, "plugins must be a list"),
        ({"blocked_plugins": [None]}, "blocked_plugins must list plugin names"),
        ({"load_entry_points": "no"}, "load_entry_points must be True or False"),
        ({"retry": {"max_attempts": 3}}, "retry must be a closedloop.RetryPolicy"),
        ({"clock": "12:00"}, "clock must have a now"),
        ({"alert_rules": "low_stars"}, "alert_rules must be a list"),
    ],
)
def test_a_setting_of_the_wrong_kind_is_refused_naming_it(settings: dict[str, object], said: str) -> None:
    with pytest.raises(cl.InvalidInput, match=said):
        cl.Desk.open(**settings)


def test_good_settings_still_open_a_desk() -> None:
    with cl.Desk.open(business_name="Chez nous", default_region="FR", plugins=[], load_entry_points=False) as desk:
        assert desk.settings.business_name == "Chez nous"
