"""A unit of work commits whole or not at all, savepoints included, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.db import after_commit, after_rollback, make_engine
from api.taxonomy.models import Term


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def industries(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Term.slug).where(Term.facet == "industries")).all())


def test_a_released_savepoint_is_not_a_commit(engine: Engine) -> None:
    # A savepoint that opens the unit of work (nothing written before it) is where SQLite,
    # driven by Python's sqlite3, used to commit on release.
    with Session(engine) as session:
        with session.begin_nested():
            session.add(Term(facet="industries", slug="aquaculture", label="Aquaculture"))
        assert industries(engine) == [], "another connection sees uncommitted work"
        session.add(Term(facet="industries", slug="forestry", label="Forestry"))
        session.flush()
        session.rollback()
    assert industries(engine) == []


def test_savepoints_commit_with_their_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        for slug in ("aquaculture", "forestry"):
            with session.begin_nested():
                session.add(Term(facet="industries", slug=slug, label=slug.title()))
        session.commit()
    assert sorted(industries(engine)) == ["aquaculture", "forestry"]


def test_a_rolled_back_savepoint_keeps_the_rest(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Term(facet="industries", slug="forestry", label="Forestry"))
        session.flush()
        savepoint = session.begin_nested()
        session.add(Term(facet="industries", slug="aquaculture", label="Aquaculture"))
        session.flush()
        savepoint.rollback()
        session.commit()
    assert industries(engine) == ["forestry"]


def test_after_commit_and_rollback_actions_wait_for_the_outer_transaction(
    engine: Engine,
) -> None:
    # A released savepoint is not the commit, nor a rolled-back savepoint the rollback:
    # a file removed "after the commit" must not go while the row may still come back.
    done: list[str] = []
    with Session(engine) as session:
        session.add(Term(facet="industries", slug="forestry", label="Forestry"))
        session.flush()
        after_commit(session, lambda: done.append("committed"))
        after_rollback(session, lambda: done.append("rolled back"))
        with session.begin_nested():
            session.add(Term(facet="industries", slug="aquaculture", label="Aquaculture"))
        savepoint = session.begin_nested()
        savepoint.rollback()
        assert done == []
        session.rollback()
    assert done == ["rolled back"]
    with Session(engine) as session:
        after_commit(session, lambda: done.append("committed"))
        with session.begin_nested():
            session.add(Term(facet="industries", slug="forestry", label="Forestry"))
        assert done == ["rolled back"]
        session.commit()
    assert done == ["rolled back", "committed"]
