"""Ready-made replies: a user's common replies and the shared response library (templates).

Each call is one transaction, in which the acting user's rights are checked again.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from closedloop.app import access
from closedloop.app.context import Context
from closedloop.domain import replies, templates
from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.templates import ScopeLevel, Template
from closedloop.ports import StoreTransaction


class CommonReplies:
    """One user's common replies: at most ten, newest first; returned by ``desk.common_replies(user)``."""

    def __init__(self, ctx: Context, user_id: str) -> None:
        self._ctx = ctx
        self._user_id = user_id

    def list(self) -> builtins.list[str]:
        with self._ctx.store.transaction() as tx:
            return list(tx.library.common_replies(self._user_id))

    def add(self, text: str) -> builtins.list[str]:
        """Put a reply on top (moving it there if it exists); the eleventh drops off the bottom."""
        with self._ctx.store.transaction() as tx:
            updated = replies.add_common_reply(tx.library.common_replies(self._user_id), text)
            tx.library.put_common_replies(self._user_id, updated)
        return list(updated)

    def remove(self, text: str) -> builtins.list[str]:
        with self._ctx.store.transaction() as tx:
            updated = replies.remove_common_reply(tx.library.common_replies(self._user_id), text)
            tx.library.put_common_replies(self._user_id, updated)
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

    def __init__(self, ctx: Context, user_id: str) -> None:
        self._ctx = ctx
        self._user_id = user_id

    def list(self) -> builtins.list[Template]:
        """Templates of the organisation and of the user's places and groups, by name."""
        with self._ctx.store.transaction() as tx:
            visible = self._visible(tx)
        return sorted(visible, key=lambda template: (template.name, template.id))

    def _visible(self, tx: StoreTransaction) -> builtins.list[Template]:
        member = access.user(tx, self._user_id)
        scope, groups = access.scope(tx, member), tx.directory.groups()
        return [t for t in tx.library.templates() if templates.visible_to(t, scope, groups)]

    def _get(self, tx: StoreTransaction, template_id: str) -> Template:
        for template in self._visible(tx):
            if template.id == template_id:
                return template
        raise NotFound(f"no template {template_id!r} is visible to user {self._user_id!r}")

    def get(self, template_id: str) -> Template:
        with self._ctx.store.transaction() as tx:
            return self._get(tx, template_id)

    def add(self, template: Template) -> Template:
        """Add or replace a template; admins manage all, managers those of places and groups they see."""
        with self._ctx.store.transaction() as tx:
            member = access.user(tx, self._user_id)
            groups = tx.directory.groups()
            if template.level is ScopeLevel.GROUP and template.target not in groups:
                raise InvalidInput(f"template {template.id!r} is for unknown group {template.target!r}")
            if template.level is ScopeLevel.PLACE and template.target not in tx.directory.place_ids():
                raise InvalidInput(f"template {template.id!r} is for unknown place {template.target!r}")
            templates.check_may_manage(member, template, access.scope(tx, member), groups)
            tx.library.put_template(template)
        return template

    def remove(self, template_id: str) -> None:
        """Remove a template the user sees and may manage, in one transaction."""
        with self._ctx.store.transaction() as tx:
            template = self._get(tx, template_id)
            member = access.user(tx, self._user_id)
            templates.check_may_manage(member, template, access.scope(tx, member), tx.directory.groups())
            tx.library.delete_template(template_id)

    def render(self, template_id: str, conversation_id: str) -> str:
        """The template's text for one conversation, with the customer's and the acting user's details."""
        with self._ctx.store.transaction() as tx:
            template = self._get(tx, template_id)
            conversation, member = access.visible(tx, conversation_id, self._user_id)
            place = access.place(tx, conversation.place_id)
        values = templates.placeholder_values(conversation.feedback, place, member, self._ctx.settings.business_name)
        return templates.render(template.body, values)
