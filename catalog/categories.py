"""The menu tree: seeding it from the source document, reading it (one query, built in memory: the tree
has dozens of nodes, not thousands), and the admin edits (add, rename, reorder, move, delete).

Nothing is ever orphaned: a category holding resources or child categories cannot be deleted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import outbox
from app.accounts.policy import require
from app.errors import Conflict, Invalid, NotFound
from catalog import menu_seed
from catalog.models import Category, Resource, ResourceCategory, ResourceStatus

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{0,63}$")


@dataclass
class TreeNode:
    category: Category
    children: list[TreeNode] = field(default_factory=list)
    depth: int = 0

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def name(self) -> str:
        return self.category.name


@dataclass
class Menu:
    roots: list[TreeNode]
    by_code: dict[str, TreeNode]
    by_id: dict[int, TreeNode]

    def descendant_ids(self, code: str) -> list[int]:
        """The category and every category below it."""
        node = self.by_code.get(code)
        if node is None:
            return []
        ids, stack = [], [node]
        while stack:
            current = stack.pop()
            ids.append(current.category.id)
            stack.extend(current.children)
        return ids

    def ancestors(self, code: str) -> list[TreeNode]:
        """From the root down to the category itself."""
        chain, node = [], self.by_code.get(code)
        while node is not None:
            chain.append(node)
            parent_id = node.category.parent_id
            node = self.by_id.get(parent_id) if parent_id else None
        return chain[::-1]

    def flat(self) -> list[TreeNode]:
        out: list[TreeNode] = []

        def visit(nodes: list[TreeNode]) -> None:
            for node in nodes:
                out.append(node)
                visit(node.children)

        visit(self.roots)
        return out

    def path_name(self, code: str) -> str:
        return " / ".join(node.name for node in self.ancestors(code))


def load_menu(session: Session) -> Menu:
    categories = list(session.scalars(select(Category).order_by(Category.parent_id, Category.position,
                                                                Category.id)))
    by_id = {c.id: TreeNode(c) for c in categories}
    roots: list[TreeNode] = []
    for node in by_id.values():
        parent = by_id.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else roots).append(node)

    def set_depth(nodes: list[TreeNode], depth: int) -> None:
        for node in nodes:
            node.depth = depth
            set_depth(node.children, depth + 1)

    set_depth(roots, 0)
    return Menu(roots=roots, by_code={n.code: n for n in by_id.values()}, by_id=by_id)


def seed_menu(session: Session) -> int:
    """Create the menu categories that are missing (by code); leaves renamed or moved ones alone."""
    existing = {c.code: c for c in session.scalars(select(Category))}
    added = 0
    for parent_code, position, node in menu_seed.walk():
        if node.code in existing:
            continue
        parent = existing.get(parent_code) if parent_code else None
        category = Category(code=node.code, name=node.name, position=position, parent=parent)
        session.add(category)
        existing[node.code] = category
        added += 1
    session.flush()
    return added


def get(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound(_("目录分类 %(code)s 不存在。", code=code))
    return category


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(_("请修改标出的内容。"), fields={"name": _("请填写分类名称（最多100字）。")})
    return name


def _emit_for_subtree(session: Session, category: Category) -> None:
    """Search documents carry category names: re-index what a rename or move touches."""
    ids = load_menu(session).descendant_ids(category.code)
    for resource_id in session.scalars(select(ResourceCategory.resource_id).distinct()
                                       .where(ResourceCategory.category_id.in_(ids))):
        outbox.emit(session, "resource", resource_id)


def add(session: Session, actor: Any, *, name: str, code: str, parent_code: str | None = None) -> Category:
    require(actor, "category.manage")
    name, code = _check_name(name), (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise Invalid(_("请修改标出的内容。"), fields={"code": _("代码只能用小写字母、数字和连字符。")})
    if session.scalar(select(Category.id).where(Category.code == code)):
        raise Invalid(_("请修改标出的内容。"), fields={"code": _("代码 %(code)s 已被使用。", code=code)})
    parent = get(session, parent_code) if parent_code else None
    siblings = len(_siblings(session, parent.id if parent else None))
    category = Category(code=code, name=name, parent=parent, position=siblings)
    session.add(category)
    session.flush()
    return category


def rename(session: Session, actor: Any, category: Category, name: str) -> Category:
    require(actor, "category.manage")
    category.name = _check_name(name)
    _emit_for_subtree(session, category)
    session.flush()
    return category


def _siblings(session: Session, parent_id: int | None) -> list[Category]:
    where = Category.parent_id == parent_id if parent_id else Category.parent_id.is_(None)
    return list(session.scalars(select(Category).where(where).order_by(Category.position, Category.id)))


def reorder(session: Session, actor: Any, category: Category, offset: int) -> None:
    """Move a category up (offset -1) or down (+1) among its siblings; positions are renumbered 0..n-1."""
    require(actor, "category.manage")
    siblings = _siblings(session, category.parent_id)
    index = siblings.index(category)
    target = max(0, min(len(siblings) - 1, index + offset))
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings):
        sibling.position = position
    session.flush()


def move(session: Session, actor: Any, category: Category, new_parent_code: str | None) -> None:
    """Hang a category (with everything below it) under another parent, at the end; never under itself."""
    require(actor, "category.manage")
    new_parent = get(session, new_parent_code) if new_parent_code else None
    if new_parent is not None and new_parent.id in load_menu(session).descendant_ids(category.code):
        raise Invalid(_("不能把分类移到它自己或它的下级分类下。"), code="category_cycle")
    old_parent_id = category.parent_id
    category.parent = new_parent
    category.position = len(_siblings(session, new_parent.id if new_parent else None))
    session.flush()
    for position, sibling in enumerate(_siblings(session, old_parent_id)):
        sibling.position = position
    _emit_for_subtree(session, category)
    session.flush()


def delete(session: Session, actor: Any, category: Category) -> None:
    require(actor, "category.manage")
    held = session.scalar(select(func.count()).select_from(ResourceCategory)
                          .where(ResourceCategory.category_id == category.id)) or 0
    if held:
        raise Conflict(_("该分类下还有%(n)d个资源，请先把它们调整到其他分类。", n=held), code="category_not_empty")
    if session.scalar(select(Category.id).where(Category.parent_id == category.id).limit(1)):
        raise Conflict(_("该分类下还有子分类，请先移走或删除子分类。"), code="category_has_children")
    parent_id = category.parent_id
    session.delete(category)
    session.flush()
    for position, sibling in enumerate(_siblings(session, parent_id)):
        sibling.position = position
    session.flush()


def resource_counts(session: Session, menu: Menu) -> dict[str, int]:
    """Published resources per category code, a parent counting what its subtree holds. One grouped query;
    a resource filed under two categories of one subtree counts twice there (rare, and cheap to accept)."""
    direct = dict(session.execute(
        select(ResourceCategory.category_id, func.count())
        .join(Resource, Resource.id == ResourceCategory.resource_id)
        .where(Resource.status == ResourceStatus.published)
        .group_by(ResourceCategory.category_id)).all())
    counts: dict[str, int] = {}

    def collect(node: TreeNode) -> int:
        total = direct.get(node.category.id, 0) + sum(collect(child) for child in node.children)
        counts[node.code] = total
        return total

    for root in menu.roots:
        collect(root)
    return counts
