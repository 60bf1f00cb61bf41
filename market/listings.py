"""Small reads of the catalogue for forms: districts and leaf categories."""

from __future__ import annotations

from sqlmodel import Session, select

from .models import Category, Unit


def districts(db: Session) -> list[str]:
    return sorted(set(db.exec(select(Unit.district)).all()))


def leaf_categories(db: Session) -> list[Category]:
    return list(db.exec(select(Category).where(Category.is_leaf).order_by(Category.code)))
