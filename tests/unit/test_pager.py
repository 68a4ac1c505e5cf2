"""The shared pager of the paged staff lists keeps each list's own query arguments."""
from __future__ import annotations

from flask import render_template_string

from web import create_app

PAGER = '{% from "_pager.html" import pager %}'


def render(call: str) -> str:
    app = create_app("testing", {"DATABASE_URL": "sqlite://"})
    with app.test_request_context("/"):
        return render_template_string(PAGER + call)


def test_links_keep_the_lists_arguments_and_its_page_name():
    queue = render("{{ pager(2, 3, 'officer.queue', 'trang', dict(pham_vi='don-vi', qua_han=None)) }}")
    assert 'href="/xu-ly?pham_vi=don-vi&amp;trang=1"' in queue
    assert 'href="/xu-ly?pham_vi=don-vi&amp;trang=3"' in queue and "Trang 2/3" in queue
    drill = render("{{ pager(1, 3, 'supervisor.drill_down', 'page', dict(agency='T1', bucket='overdue')) }}")
    assert 'href="/giam-sat/ho-so?agency=T1&amp;bucket=overdue&amp;page=2"' in drill
    assert "Trang trước" not in drill


def test_no_pager_for_one_page():
    assert "pager" not in render("{{ pager(1, 1, 'supervisor.drill_down', 'page', {}) }}")
