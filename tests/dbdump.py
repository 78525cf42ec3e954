"""Every row of every table, to compare a database before and after ("nothing changed")."""

from __future__ import annotations

from sqlalchemy import MetaData, select

from store.engine import make_engine


def dump(db_url: str) -> dict[str, list[tuple]]:
    engine = make_engine(db_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        result = {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in sorted(metadata.tables.items())
        }
    engine.dispose()
    return result
