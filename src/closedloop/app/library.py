"""Ready-made replies: a user's common replies and the shared response library (templates).

Each call is one transaction, in which the acting user's rights are checked again.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain import replies, templates
from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.people import PlaceGroup, Scope, User
from closedloop.domain.templates import ScopeLevel, Template
from closedloop.domain.text import shown
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
        text = arguments.text(text, "the common reply")
        with self._ctx.store.transaction() as tx:
            updated = replies.add_common_reply(tx.library.common_replies(self._user_id), text)
            tx.library.put_common_replies(self._user_id, updated)
        return list(updated)

    def remove(self, text: str) -> builtins.list[str]:
        text = arguments.text(text, "the common reply")
        with self._ctx.store.transaction() as tx:
            updated = replies.remove_common_reply(tx.library.common_replies(self._user_id), text)
            tx.library.put_common_replies(self._user_id, updated)
        return list(updated)

    def pick(self, choice: int | str) -> str:
        """The text to fill a reply with (by position or text); picking does not reorder the list."""
        if isinstance(choice, str):
            return replies.pick_common_reply(tuple(self.list()), arguments.text(choice, "choice"))
        if isinstance(choice, bool) or not isinstance(choice, int):
            raise InvalidInput(
                f"choice must be a position (0 is the newest) or the text of a reply; got {shown(choice)}"
            )
        if not 0 <= choice < replies.MAX_COMMON_REPLIES:  # not there, however far out: say so without writing it out
            raise NotFound(
                f"there is no common reply at position {shown(choice)}; positions go from 0, the newest, to "
                f"{replies.MAX_COMMON_REPLIES - 1}"
            )
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
            _member, scope, groups = self._rights(tx)
            visible = [t for t in tx.library.templates() if templates.visible_to(t, scope, groups)]
        return sorted(visible, key=lambda template: (template.name, template.id))

    def _rights(self, tx: StoreTransaction) -> tuple[User, Scope, Mapping[str, PlaceGroup]]:
        """The acting user as stored now, the places they see, and the groups those are counted through."""
        member = access.user(tx, self._user_id)
        groups = tx.directory.groups()
        return member, Scope.of(member, groups), groups

    def _get(self, tx: StoreTransaction, template_id: str) -> tuple[Template, User, Scope, Mapping[str, PlaceGroup]]:
        """The template if the user sees it, with the user's rights for what comes next."""
        member, scope, groups = self._rights(tx)
        template = tx.library.get_template(template_id)
        if template is None or not templates.visible_to(template, scope, groups):
            raise NotFound(f"no template {template_id!r} is visible to user {self._user_id!r}")
        return template, member, scope, groups

    def get(self, template_id: str) -> Template:
        template_id = arguments.identifier(template_id, "template_id")
        with self._ctx.store.transaction() as tx:
            return self._get(tx, template_id)[0]

    def add(self, template: Template) -> Template:
        """Add or replace a template; admins manage all, managers those of places and groups they see. The
        template it replaces must be one they may manage too, so no one takes over another scope's template
        by reusing its id."""
        arguments.record(template, Template, "templates(...).add")
        with self._ctx.store.transaction() as tx:
            member, scope, groups = self._rights(tx)
            if template.level is ScopeLevel.GROUP and template.target not in groups:
                raise InvalidInput(f"template {template.id!r} is for unknown group {template.target!r}")
            if template.level is ScopeLevel.PLACE and template.target not in tx.directory.place_ids():
                raise InvalidInput(f"template {template.id!r} is for unknown place {template.target!r}")
            replaced = tx.library.get_template(template.id)
            if replaced is not None:
                templates.check_may_manage(member, replaced, scope, groups)
            templates.check_may_manage(member, template, scope, groups)
            tx.library.put_template(template)
        return template

    def remove(self, template_id: str) -> None:
        """Remove a template the user sees and may manage, in one transaction."""
        template_id = arguments.identifier(template_id, "template_id")
        with self._ctx.store.transaction() as tx:
            template, member, scope, groups = self._get(tx, template_id)
            templates.check_may_manage(member, template, scope, groups)
            tx.library.delete_template(template_id)

    def render(self, template_id: str, conversation_id: str) -> str:
        """The template's text for one conversation, with the customer's and the acting user's details."""
        template_id = arguments.identifier(template_id, "template_id")
        conversation_id = arguments.identifier(conversation_id, "conversation_id")
        with self._ctx.store.transaction() as tx:
            template = self._get(tx, template_id)[0]
            conversation, member = access.visible(tx, conversation_id, self._user_id)
            place = access.place(tx, conversation.place_id)
        values = templates.placeholder_values(conversation.feedback, place, member, self._ctx.settings.business_name)
        return templates.render(template.body, values)
