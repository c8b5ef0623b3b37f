"""Users and their login guards.

A user item is written together with one guard per login name it answers to (staff: one per tenant;
customer users: one per authorized customer), in one transaction, so a username can never be taken
twice even by concurrent requests. The same transaction moves the user's key in the members records of
the customers it joins or leaves (storage/members.py), so submit's "does anyone else approve?" never
disagrees with the users.
"""

from __future__ import annotations

import random
import time

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import ConflictError, DuplicateError, LinkSpentError, NotFoundError, VersionMismatchError
from chalicelib.domain.model import User
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import keys, members
from chalicelib.storage.items import BaseItem, PasswordLinkItem, RefreshFamilyItem, UniqueItem, UserItem
from chalicelib.storage.mapping import dec, dec_str, item_values
from chalicelib.storage.paging import Page, decode_cursor, page_from, prefix_page
from chalicelib.storage.table import cancellation_codes, get_item, transaction

ATTEMPTS = 10  # a TransactionConflict on a busy record: write again


def _login_keys(tenant: str, user: User) -> list[tuple[str, str]]:
    if user.kind == UserKind.STAFF:
        return [keys.staff_login(tenant, user.username)]
    return [keys.customer_login(tenant, cid, user.username) for cid in user.customer_ids]


def _user_item(tenant: str, u: User) -> UserItem:
    pk, sk = keys.user(tenant, u.id)
    item = UserItem(
        pk,
        sk,
        id=u.id,
        kind=u.kind.value,
        username=u.username,
        name=u.name,
        email=u.email,
        locale=u.locale,
        status=u.status,
        security_group_ids=list(u.security_group_ids),
        customer_ids=list(u.customer_ids),
        site_ids=list(u.site_ids),
        approval_limit=dec_str(u.approval_limit),
        password_hash=u.password_hash,
        session_epoch=u.session_epoch,
    )
    if u.version:
        item.version = u.version
    return item


# What logging in needs of a user, held by each of its login guards (one place: every user write goes
# through `_guards`, so the copy is rewritten in the same transaction as the user and never disagrees).
# A password reset finds its user the way a login does, and e-mails them: their username, address and locale.
LOGIN_FIELDS = (
    "kind",
    "name",
    "status",
    "password_hash",
    "security_group_ids",
    "customer_ids",
    "site_ids",
    "username",
    "email",
    "locale",
)


def _guards(tenant: str, u: User) -> list[UniqueItem]:
    login = {name: getattr(u, name) for name in LOGIN_FIELDS} | {"kind": u.kind.value, "session_epoch": u.session_epoch}
    return [UniqueItem(pk, sk, owner_id=u.id, login=login) for pk, sk in _login_keys(tenant, u)]


def from_login_guard(item: BaseItem | None) -> User | None:
    """The user a login guard read points to, from the copy it holds (None: no such guard)."""
    if not isinstance(item, UniqueItem) or not item.login:
        return None
    data = dict(item.login)
    return User(
        id=item.owner_id,
        kind=UserKind(data["kind"]),
        username=str(data["username"]),
        name=str(data["name"]),
        email=str(data["email"]),
        locale=data["locale"],
        status=str(data["status"]),
        security_group_ids=list(data["security_group_ids"]),
        customer_ids=list(data["customer_ids"]),
        site_ids=list(data["site_ids"]),
        password_hash=str(data["password_hash"]),
        session_epoch=int(data["session_epoch"]),
    )


def user_items(tenant: str, u: User) -> list[BaseItem]:
    """The user and its login guards, for a create transaction (a staff user's, as a new tenant's
    administrator: a customer user joins its customers' members records through `create`)."""
    return [_user_item(tenant, u), *_guards(tenant, u)]


def _to_domain(item: UserItem) -> User:
    return item_values(
        item,
        User,
        kind=UserKind(item.kind),
        approval_limit=dec(item.approval_limit),
        session_epoch=int(item.session_epoch or 0),
    )


def get(tenant: str, user_id: str) -> User:
    return _to_domain(get_item(UserItem, keys.user(tenant, user_id), "user"))


def find(tenant: str, user_id: str) -> User | None:
    try:
        return get(tenant, user_id)
    except NotFoundError:
        return None


def get_many(tenant: str, user_ids: list[str]) -> list[User]:
    if not user_ids:
        return []
    found = {i.id: _to_domain(i) for i in UserItem.batch_get([keys.user(tenant, u) for u in dict.fromkeys(user_ids)])}
    return [found[u] for u in user_ids if u in found]


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[User]:
    """Every user of the tenant (administrators)."""
    return prefix_page(UserItem, keys.tenant_pk(tenant), keys.USER, limit, cursor, _to_domain)


def list_of_customer(tenant: str, customer_id: str, limit: int, cursor: str | None) -> Page[User]:
    """The users authorized for one customer: one Query on its login guards, one BatchGet."""
    pk = keys.tenant_pk(tenant)
    guards = UniqueItem.query(
        pk,
        UniqueItem.sk.startswith(keys.customer_login_prefix(customer_id)),
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    owner_ids = [g.owner_id for g in guards]
    return page_from(get_many(tenant, owner_ids), lambda: guards.last_evaluated_key)


def create(tenant: str, u: User) -> User:
    for attempt in range(ATTEMPTS):
        item = _user_item(tenant, u)
        guards = _guards(tenant, u)
        moved = members.moves(None, u)
        try:
            with transaction() as tx:
                for it in [item, *guards]:
                    tx.save(it)
                members.add_moves(tx, tenant, moved)  # updates: PynamoDB sends them after the puts
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if _write_again(codes, attempt):
                continue
            if any(c == "ConditionalCheckFailed" for c in codes):
                raise DuplicateError(f"The username '{u.username}' is already taken.") from exc
            raise
        return _to_domain(item)  # the transaction set the version on `item`: no read back
    raise ConflictError("The user's customers are being changed by others right now; try again.")


def _write_again(codes: list[str | None], attempt: int) -> bool:
    """Whether a refused user write should simply be written again: DynamoDB refused it only for a
    concurrent transaction on one of the same items (TransactionConflict: nothing was written)."""
    if "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes:
        time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not crypto
        return True
    return False


def update(
    tenant: str, before: User, after: User, keep_session: str | None = None, link: tuple[str, str] | None = None
) -> User:
    """Write `after` if the stored user is still at `before.version`; move login guards that changed.

    `keep_session` names a login (refresh-token family) of this user that stays valid when the write
    raises `session_epoch`: its epoch moves along in the same transaction, so no refresh ever sees the
    user and that login disagree. `link` (the token hash and the time) is an invitation or reset link
    spent in the same transaction: a link already used or expired makes the write fail (LinkSpentError)."""
    for attempt in range(ATTEMPTS):
        done = _update(tenant, before, after, keep_session, attempt, link)
        if done is not None:
            return done
    raise ConflictError("The user's customers are being changed by others right now; try again.")


def _update(
    tenant: str, before: User, after: User, keep_session: str | None, attempt: int, link: tuple[str, str] | None
) -> User | None:
    """One attempt of `update` (None: write again)."""
    old_keys = set(_login_keys(tenant, before))
    new_keys = set(_login_keys(tenant, after))
    item = _user_item(tenant, after)
    item.version = before.version
    moved = members.moves(before, after)
    try:
        with transaction() as tx:
            tx.save(item)
            for pk, sk in sorted(old_keys - new_keys):
                tx.delete(UniqueItem(pk, sk), condition=UniqueItem.owner_id == before.id, add_version_condition=False)
            # Every guard gets the user's login fields again; a new one must not be taken (its version
            # condition), a kept one must still be this user's. Updates: PynamoDB sends them after the puts.
            for guard in _guards(tenant, after):
                if (guard.pk, guard.sk) not in old_keys:
                    tx.save(guard)
                    continue
                tx.update(
                    UniqueItem(guard.pk, guard.sk),
                    actions=[UniqueItem.login.set(guard.login)],
                    condition=UniqueItem.owner_id == after.id,
                    add_version_condition=False,
                )
            members.add_moves(tx, tenant, moved)  # updates too: after the guards', before the session's
            if keep_session is not None:  # an update: PynamoDB sends it after every put, last
                tx.update(
                    RefreshFamilyItem(*keys.refresh_family(tenant, keep_session)),
                    actions=[RefreshFamilyItem.session_epoch.set(after.session_epoch)],
                    condition=RefreshFamilyItem.user_id == before.id,
                    add_version_condition=False,
                )
            if link is not None:  # an update too, the last one: the link spent, if unused and still valid
                hashed, at = link
                tx.update(
                    PasswordLinkItem(*keys.password_link(tenant, hashed)),
                    actions=[PasswordLinkItem.used_at.set(at)],
                    condition=PasswordLinkItem.pk.exists()
                    & PasswordLinkItem.used_at.does_not_exist()
                    & (PasswordLinkItem.valid_until > at),
                    add_version_condition=False,
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        failed = [i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"]
        if link is not None and failed and failed[-1] == len(codes) - 1:
            raise LinkSpentError() from exc
        if keep_session is not None and failed == [len(codes) - 1]:
            # That login is gone (expired, or it never was this user's): nothing to keep.
            return update(tenant, before, after)
        if _write_again(codes, attempt):
            return None
        user_at = len(old_keys - new_keys)  # PynamoDB sends the deletes before the puts
        if len(codes) > user_at and codes[user_at] == "ConditionalCheckFailed":
            raise VersionMismatchError() from exc
        if "ConditionalCheckFailed" in codes:
            raise DuplicateError(f"The username '{after.username}' is already taken.") from exc
        raise
    return _to_domain(item)  # the transaction set the new version on `item`: no read back
