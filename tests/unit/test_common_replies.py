"""Common replies: each user's own list, at most ten, newest first."""

from __future__ import annotations

import pytest

import closedloop as cl

TEN = [f"Reply number {n}" for n in range(1, 11)]


@pytest.fixture
def replies(seeded_desk) -> cl.CommonReplies:
    return seeded_desk.common_replies("agent")


@pytest.fixture
def full(replies) -> cl.CommonReplies:
    for text in TEN:
        replies.add(text)
    return replies


def test_a_user_starts_with_no_common_replies(replies):
    assert replies.list() == []
    assert len(replies) == 0


def test_newest_goes_on_top(replies):
    replies.add("Thank you!")

    assert replies.add("We are sorry.") == ["We are sorry.", "Thank you!"]
    assert replies.list() == ["We are sorry.", "Thank you!"]


def test_at_most_ten_newest_first(full):
    assert full.list() == list(reversed(TEN))
    assert len(full) == 10


def test_the_eleventh_pushes_the_bottom_one_out(full):
    updated = full.add("Reply number 11")

    assert updated == ["Reply number 11", *reversed(TEN[1:])]
    assert "Reply number 1" not in full.list()
    assert len(full) == 10


def test_re_adding_moves_to_the_top_without_duplicates(full):
    updated = full.add("Reply number 3")

    assert updated[0] == "Reply number 3"
    assert updated.count("Reply number 3") == 1
    assert sorted(updated) == sorted(TEN)  # nothing fell off, since nothing was new


@pytest.mark.parametrize("choice", [2, "Reply number 8"])
def test_picking_fills_the_reply_and_does_not_reorder(full, choice):
    before = full.list()

    assert full.pick(choice) == "Reply number 8"
    assert full.list() == before


@pytest.mark.parametrize("choice", [10, -1, "Never saved"])
def test_picking_something_that_is_not_there_is_not_found(full, choice):
    with pytest.raises(cl.NotFound):
        full.pick(choice)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_refused(full, text):
    before = full.list()

    with pytest.raises(cl.InvalidInput):
        full.add(text)

    assert full.list() == before


def test_remove_keeps_the_others_in_order(full):
    updated = full.remove("Reply number 5")

    assert updated == [text for text in reversed(TEN) if text != "Reply number 5"]
    assert full.list() == updated


def test_removing_a_text_that_is_not_there_is_not_found(full):
    with pytest.raises(cl.NotFound):
        full.remove("Never saved")

    assert len(full) == 10


def test_each_user_has_their_own_list_and_it_is_kept(seeded_desk, full):
    seeded_desk.common_replies("manager").add("Manager's own reply")

    assert seeded_desk.common_replies("agent").list() == list(reversed(TEN))
    assert seeded_desk.common_replies("manager").list() == ["Manager's own reply"]


def test_an_unknown_user_has_no_list(seeded_desk):
    with pytest.raises(cl.NotFound):
        seeded_desk.common_replies("nobody")
