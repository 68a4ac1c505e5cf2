"""The hot path's placeholder translation (workflow/adapters/pg_statements._raw): psycopg's
`%(name)s` / `%s` become PostgreSQL's `$n`, once per statement text."""
import pytest

from workflow.adapters import pg_statements as pg


def test_named_parameters_are_numbered_in_first_use_order_and_reused():
    raw, names = pg._raw("UPDATE t SET a = %(a)s, b = %(b)s WHERE a <> %(a)s AND c = %(c)s::int")
    assert raw == "UPDATE t SET a = $1, b = $2 WHERE a <> $1 AND c = $3::int"
    assert names == ("a", "b", "c")


def test_positional_parameters_and_escaped_percent():
    raw, names = pg._raw("SELECT x FROM t WHERE a = %s AND b LIKE 'x%%' AND c = %s")
    assert raw == "SELECT x FROM t WHERE a = $1 AND b LIKE 'x%' AND c = $2"
    assert names == ()


def test_mixing_named_and_positional_is_refused():
    with pytest.raises(ValueError):
        pg._raw("SELECT %s, %(a)s")


def test_an_intake_statement_has_one_number_per_distinct_name():
    """An intake has more than 50 parameters: the case psycopg would parse on every call."""
    sql = pg.insert_statement(tuple(f"c{i}" for i in range(40)), 2, 2, 1, 1)
    raw, names = pg._raw(sql)
    assert len(names) > 50 and len(set(names)) == len(names)
    assert "%(" not in raw and f"${len(names)}" in raw and f"${len(names) + 1}" not in raw
