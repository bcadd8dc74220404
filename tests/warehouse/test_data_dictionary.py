"""docs/data-dictionary: every mart has a page, every page lists exactly its mart's columns, and every
example query returns rows on the demo world's warehouse built from the whole of include/sql."""
from __future__ import annotations

import re

import duckdb
import pytest

from .conftest import PROJECT_ROOT, SQL_DIR

DICTIONARY = PROJECT_ROOT / "docs" / "data-dictionary"
PAGES = sorted(path.stem for path in DICTIONARY.glob("*.md") if path.stem != "README")
MARTS = sorted(path.stem for path in (SQL_DIR / "marts").glob("*.sql"))
# Its examples read the quality run's dq tables; tests/pipeline/test_inventory_quality.py runs them.
NEEDS_A_QUALITY_RUN = {"source_freshness"}
DEMO_EMPTY = "-- no rows on the demo estate"  # how an example says the demo has nothing for it


@pytest.fixture(scope="module")
def con(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as connection:
        yield connection


def page(name: str) -> str:
    return (DICTIONARY / f"{name}.md").read_text()


def test_every_mart_has_a_page_and_the_index_links_it():
    index = page("README")
    assert sorted(set(MARTS) - set(PAGES)) == []
    assert [name for name in PAGES if f"({name}.md)" not in index] == []


@pytest.mark.parametrize("name", PAGES)
def test_the_page_lists_exactly_the_marts_columns_in_their_order(con, name):
    section = page(name).split("\n## Columns\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\|\s*`([a-z_0-9]+)`(?:,\s*`([a-z_0-9]+)`)?\s*\|", section, re.MULTILINE)
    documented = [column for pair in documented for column in pair if column]
    columns = [column for (column,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
        "order by column_index", [name]).fetchall()]
    assert columns and sorted(set(columns) - set(documented)) == [] and sorted(set(documented) - set(columns)) == []
    assert documented == columns  # the page reads in the order `select *` returns


@pytest.mark.parametrize("name", sorted(set(PAGES) - NEEDS_A_QUALITY_RUN))
def test_every_example_query_answers_on_the_demo_estate(con, name):
    queries = re.findall(r"```sql\n(.*?)```", page(name), re.DOTALL)
    assert len(queries) >= 2
    # each example shows something on the demo estate, so a reader can try it, unless it says it shows nothing
    answers = {query: con.execute(query).fetchall() for query in queries}
    assert [query for query, rows in answers.items() if not rows and DEMO_EMPTY not in query] == []
    assert [query for query, rows in answers.items() if rows and DEMO_EMPTY in query] == []
