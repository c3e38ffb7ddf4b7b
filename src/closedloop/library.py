"""Ready-made replies: a user's common replies and the shared response library (templates)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING

from closedloop.domain import replies, templates
from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.templates import ScopeLevel, Template

if TYPE_CHECKING:
    from closedloop.desk import Desk


class CommonReplies:
    """One user's common replies: at most ten, newest first; returned by ``desk.common_replies(user)``."""

    def __init__(self, desk: Desk, user_id: str) -> None:
        self._desk = desk
        self._user_id = user_id

    def list(self) -> builtins.list[str]:
        with self._desk.store.transaction() as tx:
            return list(tx.get_common_replies(self._user_id))

    def add(self, text: str) -> builtins.list[str]:
        """Put a reply on top (moving it there if it exists); the eleventh drops off the bottom."""
        with self._desk.store.transaction() as tx:
            updated = replies.add_common_reply(tx.get_common_replies(self._user_id), text)
            tx.put_common_replies(self._user_id, updated)
        return list(updated)

    def remove(self, text: str) -> builtins.list[str]:
        with self._desk.store.transaction() as tx:
            updated = replies.remove_common_reply(tx.get_common_replies(self._user_id), text)
            tx.put_common_replies(self._user_id, updated)
        return list(updated)

    def pick(self, choice: int | str) -> str:
        """The text to fill a reply with (by position or text); picking does not reorder the list."""
        return replies.pick_common_reply(tuple(self.list()), choice)

    def __iter__(self) -> Iterator[str]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self.list())


class TemplateLibrary:
    """The response library as one user sees it; returned by ``desk.templates(user)``."""

    def __init__(self, desk: Desk, user_id: str) -> None:
        self._desk = desk
        self._user_id = user_id

    def list(self) -> builtins.list[Template]:
        """Templates of the organisation and of the user's places and groups, by name."""
        with self._desk.store.transaction() as tx:
            user = self._desk._user(tx, self._user_id)
            scope, groups = self._desk._scope(tx, user), tx.groups()
            visible = [t for t in tx.templates() if templates.visible_to(t, scope, groups)]
        return sorted(visible, key=lambda template: (template.name, template.id))

    def get(self, template_id: str) -> Template:
        for template in self.list():
            if template.id == template_id:
                return template
        raise NotFound(f"no template {template_id!r} is visible to user {self._user_id!r}")

    def add(self, template: Template) -> Template:
        """Add or replace a template; admins manage all, managers those of places and groups they see."""
        with self._desk.store.transaction() as tx:
            user = self._desk._user(tx, self._user_id)
            groups = tx.groups()
            if template.level is ScopeLevel.GROUP and template.target not in groups:
                raise InvalidInput(f"template {template.id!r} is for unknown group {template.target!r}")
            if template.level is ScopeLevel.PLACE and template.target not in tx.places():
                raise InvalidInput(f"template {template.id!r} is for unknown place {template.target!r}")
            templates.check_may_manage(user, template, self._desk._scope(tx, user), groups)
            tx.put_template(template)
        return template

    def remove(self, template_id: str) -> None:
        template = self.get(template_id)
        with self._desk.store.transaction() as tx:
            user = self._desk._user(tx, self._user_id)
            templates.check_may_manage(user, template, self._desk._scope(tx, user), tx.groups())
            tx.delete_template(template_id)

    def render(self, template_id: str, conversation_id: str) -> str:
        """The template's text for one conversation, with the customer's and the acting user's details."""
        template = self.get(template_id)
        customer_file = self._desk.customer_file(conversation_id, by=self._user_id)
        user = self._desk.user(self._user_id)
        values = templates.placeholder_values(
            customer_file.feedback, customer_file.place, user, self._desk.settings.business_name
        )
        return templates.render(template.body, values)
