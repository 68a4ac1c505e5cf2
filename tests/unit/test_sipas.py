"""SIPAS maths against a hand-computed fixture, the questionnaire as data, and the nine
per-dossier indicators of Circular 01/2018/TT-VPCP Art. 13-15 scored from the records."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import vn
from tests.unit.test_lifecycle import CAL, CLERK, HKD, START, fire, new
from workflow.domain.dossier import Applicant
from workflow.domain.lifecycle import lifecycle_for, open_online
from workflow.domain import evaluation
from workflow.domain.errors import InvalidInput
from workflow.domain.sipas import (QuestionnaireError, Tally, Target, below_satisfied,
                                   parse_questionnaire, parse_targets, sipas_index, tallies,
                                   validate_answers)

DEFAULT = Path(__file__).parents[2] / "workflow" / "catalog" / "questionnaires" / "sipas-2023.yaml"
SCALE = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def small(**changes):
    data = {
        "code": "t", "version": "1", "effective_from": "2023-01-01", "scale": SCALE,
        "elements": [
            {"code": "access", "name": "Tiếp cận", "questions": [{"code": "A1", "text": "a1"},
                                                                 {"code": "A2", "text": "a2"}]},
            {"code": "procedure", "name": "Thủ tục", "questions": [{"code": "P1", "text": "p1"}]},
            {"code": "staff", "name": "Công chức", "questions": [{"code": "C1", "text": "c1"},
                                                                {"code": "C2", "text": "c2"}]},
            {"code": "result", "name": "Kết quả", "questions": [{"code": "R1", "text": "r1"}]},
            {"code": "feedback", "name": "Phản ánh",
             "questions": [{"code": "F1", "text": "f1", "optional": True}]},
        ],
        "indicators": {"attitude": "C1", "disclosure": "P1", "feedback": "F1"},
    }
    data.update(changes)
    return parse_questionnaire(data, "small.yaml")


# the fixture, computed by hand in the comments
RESPONSES = [
    {"A1": 5, "A2": 4, "P1": 3, "C1": 5, "C2": 5, "R1": 4, "F1": 5},
    {"A1": 2, "A2": 4, "P1": 4, "C1": 4, "C2": 3, "R1": 5},
    {"A1": 4, "A2": 4, "P1": 5, "C1": 2, "C2": 1, "R1": 3, "F1": 2},
    {"A1": 5, "A2": 5, "P1": 4, "C1": 4, "C2": 4, "R1": 4},
]


def summed(q):
    total: dict[str, Tally] = {}
    for r in RESPONSES:
        for code, t in tallies(q, validate_answers(q, r)).items():
            total[code] = total.get(code, Tally()) + t
    return total


def test_index_matches_the_hand_computed_fixture():
    q = small()
    counts = summed(q)
    # access: satisfied 2+1+2+2 of 8; procedure 0+1+1+1 of 4; staff 2+1+0+2 of 8;
    # result 1+1+0+1 of 4; feedback (optional, answered twice) 1 of 2
    assert counts["access"] == Tally(7, 8, 33)
    assert counts["staff"] == Tally(5, 8, 28)
    assert counts["feedback"] == Tally(1, 2, 7)
    index = sipas_index(q, counts)
    assert index.elements == {"access": 87.5, "procedure": 75.0, "staff": 62.5, "result": 75.0,
                              "feedback": 50.0}
    assert index.overall == 70.0  # (87.5 + 75 + 62.5 + 75 + 50) / 5
    assert index.answers == {"access": 8, "procedure": 4, "staff": 8, "result": 4, "feedback": 2}


def test_element_weights_come_from_the_questionnaire():
    data = yaml.safe_load(DEFAULT.read_text())  # untouched: equal weights by default
    assert all(e.weight == 1.0 for e in parse_questionnaire(data).elements)
    base = small()
    weighted = parse_questionnaire({
        "code": "t", "version": "2", "effective_from": "2023-01-01", "scale": SCALE,
        "elements": [{"code": e.code, "name": e.name.vi, "weight": 2 if e.code == "access" else 1,
                      "questions": [{"code": x.code, "text": x.text.vi, "optional": x.optional}
                                    for x in e.questions]} for e in base.elements]})
    # (2 x 87.5 + 75 + 62.5 + 75 + 50) / 6 = 72.9166...
    assert sipas_index(weighted, summed(weighted)).overall == 72.92


def test_no_answers_give_no_index_rather_than_zero():
    index = sipas_index(small(), {})
    assert index.overall is None and set(index.elements.values()) == {None}


def test_unhappy_is_an_element_whose_mean_is_below_satisfied():
    q = small()
    found = [below_satisfied(q, validate_answers(q, r)) for r in RESPONSES]
    assert found == [["procedure"], ["access", "staff"], ["staff", "result", "feedback"], []]


@pytest.mark.parametrize("answers, field", [
    ({"A1": 5}, "answers.A2"),                                     # required missing
    ({**RESPONSES[0], "A1": 6}, "answers.A1"),                     # off the scale
    ({**RESPONSES[0], "A1": True}, "answers.A1"),
    ({**RESPONSES[0], "Z9": 3}, "answers.Z9"),                     # unknown question
])
def test_bad_answers_name_the_field(answers, field):
    with pytest.raises(InvalidInput) as err:
        validate_answers(small(), answers)
    assert err.value.field == field


def test_default_questionnaire_has_the_five_sipas_elements():
    q = parse_questionnaire(yaml.safe_load(DEFAULT.read_text()), str(DEFAULT))
    assert [e.code for e in q.elements] == ["access", "procedure", "civil_servants", "result", "feedback"]
    assert q.satisfied_from == 4 and len(q.scale) == 5 and q.scale[3].en == "Satisfied"
    assert set(q.indicators) == {"one_stop", "disclosure", "attitude", "feedback", "online"}
    assert all(x.text.en for x in q.questions.values())


@pytest.mark.parametrize("change, field", [
    ({"scale": SCALE[:4]}, "scale"),
    ({"satisfied_from": 9}, "satisfied_from"),
    ({"effective_from": "soon"}, "effective_from"),
    ({"indicators": {"attitude": "NOPE"}}, "indicators.attitude"),
    ({"indicators": {"mood": "C1"}}, "indicators.mood"),
    ({"elements": [{"code": "x", "name": "x", "questions": [{"code": "Q", "text": "q"},
                                                             {"code": "Q", "text": "q"}]}]},
     "elements[0].questions[1].code"),
])
def test_bad_questionnaire_names_the_field(change, field):
    with pytest.raises(QuestionnaireError) as err:
        small(**change)
    assert err.value.field == field


def test_targets_are_configurable():
    assert parse_targets("2025:90-95,2023:85") == (Target(2023, 85.0), Target(2025, 90.0, 95.0))
    with pytest.raises(ValueError):
        parse_targets("2023:high")


# ----------------------------------------------------------------------------------
# the nine indicators
# ----------------------------------------------------------------------------------
def run(d, *steps):
    for at, action, payload in steps:
        fire(d, action, at=at, **payload)
    return d


def history(d):
    """The events a repository would have stored (nothing is flushed without one)."""
    return list(d.pending_events)


def by_code(ev):
    return {i.code: i for i in ev.indicators}


def test_an_early_dossier_scores_by_the_bands_of_the_circular():
    d = new(documents=("GDN", "CCCD"))
    run(d, (vn(2026, 3, 2, 9), "forward", {}), (vn(2026, 3, 2, 11), "forward", {}),
        (vn(2026, 3, 2, 14), "forward", {}), (vn(2026, 3, 2, 15), "forward", {}),
        (vn(2026, 3, 2, 16), "complete", {}), (vn(2026, 3, 3, 9), "return_result", {}))
    ev = evaluation.evaluate(d, history(d), CAL)
    got = by_code(ev)
    assert (got["total_time"].value, got["total_time"].points) == ("early", 2)
    assert got["agency_time"].points == 2 and set(got["agency_time"].facts["agencies"].values()) == {"early"}
    assert (got["contacts"].points, got["agencies_contacted"].points) == (2, 2)   # no contact at all
    assert (got["one_stop"].points, got["disclosure"].points) == (1, 1)  # what the records can show
    assert (got["attitude"].value, got["attitude"].points) == ("early", 2)       # early, no complaint
    assert got["feedback"].points == 2 and got["online"].source == "not_measured"
    assert (ev.points, ev.max_points) == (14, 16)   # the online indicator is not counted
    assert [i["code"] for i in ev.as_dict()["indicators"]] == [c for c, _, _ in evaluation.INDICATORS]


def test_a_late_agency_scores_zero_for_the_time_of_agencies():
    """Art. 13(2): slower than its share 0 (the old scoring gave 1 for one late agency)."""
    d = new(documents=("GDN", "CCCD"))
    run(d, (vn(2026, 3, 2, 10), "forward", {}), (vn(2026, 3, 2, 11), "forward", {}),
        (vn(2026, 3, 4, 8, 30), "forward", {}),     # the tax step took 1.5 days of 0.5
        (vn(2026, 3, 4, 10, 30), "forward", {}), (vn(2026, 3, 4, 11), "complete", {}))
    got = by_code(evaluation.evaluate(d, history(d), CAL))
    assert got["agency_time"].facts["agencies"]["TAX"] == "late"
    assert (got["agency_time"].value, got["agency_time"].points) == ("late", 0)
    assert got["total_time"].value == "early"       # ready Wednesday, appointment Thursday
    times = evaluation.step_times(d, history(d), CAL)
    # the tax step: Monday 60 + 240, Tuesday 480, Wednesday 30 minutes, of a budget of 240
    assert [(t["step"], t["used"], t["budget"]) for t in times][:2] == [("TD", 60, 720), ("THUE", 810, 240)]


def test_a_supplement_the_applicant_caused_does_not_count_against_the_agency():
    """Art. 13(3) excludes contacts caused by the applicant: a document of the published
    checklist not brought to the counter is the applicant's doing."""
    d = new(documents=("GDN",))
    run(d, (vn(2026, 3, 2, 10), "supplement", {"documents": ["CCCD"]}))
    got = by_code(evaluation.evaluate(d, history(d), CAL))
    assert got["contacts"].facts == {"contacts": 1, "charged_to_agency": 0, "applicant_caused": 1}
    assert got["contacts"].points == 2
    assert got["agencies_contacted"].points == 1          # contacted the one-stop unit, once


def test_a_supplement_the_agency_caused_costs_a_point():
    """The receipt left off a document that was missing; asking for it later is the agency's."""
    d = new(documents=("GDN", "CCCD"))
    run(d, (vn(2026, 3, 2, 9), "forward", {}),
        (vn(2026, 3, 2, 11), "request_supplement", {"missing": ["UQ"], "reason": "thiếu ủy quyền"}),
        (vn(2026, 3, 3, 9), "supplement", {"documents": ["UQ"]}))
    got = by_code(evaluation.evaluate(d, history(d), CAL))
    assert got["contacts"].facts["charged_to_agency"] == 1 and got["contacts"].points == 1
    first = evaluation.step_times(d, history(d), CAL)
    assert first == []                                     # the step is still held


def test_a_supplement_during_a_step_restarts_its_clock():
    d = new(documents=("GDN", "CCCD"))
    run(d, (vn(2026, 3, 2, 9), "forward", {}),
        (vn(2026, 3, 2, 11), "request_supplement", {"missing": ["UQ"], "reason": "thiếu ủy quyền"}),
        (vn(2026, 3, 3, 9), "supplement", {"documents": ["UQ"]}),
        (vn(2026, 3, 3, 10), "forward", {}))
    first = evaluation.step_times(d, history(d), CAL)[0]
    assert (first["step"], first["used"], first["late"]) == ("TD", 60, False)  # restart: on_supplement


def test_a_dossier_refused_at_the_counter_has_no_time_indicators():
    d = new(documents=())
    fire(d, "reject", CLERK, at=vn(2026, 3, 2, 10), reason="không thuộc thẩm quyền")
    got = by_code(evaluation.evaluate(d, history(d), CAL))
    assert got["total_time"].source == "not_applicable" and got["agency_time"].source == "not_applicable"
    assert got["contacts"].points == 2 and got["attitude"].source == "not_applicable"


@pytest.mark.parametrize("service, points", [
    (evaluation.OnlineService(4, 3, 10, 4, 0), 2),   # 75 % procedures, 40 % dossiers online
    (evaluation.OnlineService(4, 3, 10, 2, 0), 1),   # 20 % of dossiers online: 15-30 %
    (evaluation.OnlineService(4, 3, 10, 1, 0), 0),   # under 15 %
    (evaluation.OnlineService(4, 3, 10, 4, 1), 0),   # an online dossier late or left unresolved
    (evaluation.OnlineService(4, 0, 10, 0, 0), 0),   # no procedure online
])
def test_online_service_is_scored_for_the_agency_whatever_the_channel(service, points):
    """Art. 13(9) scores the agency's online service: counter and online dossiers of the
    same agency and month get the same points (the old scoring asked online dossiers only)."""
    facts = evaluation.Facts(online=service)
    online = open_online(HKD, "T1-260302-0002", Applicant("B"), ["GDN", "CCCD"], START)
    lifecycle_for(HKD).fire(online, "accept", CLERK, START, CAL)
    for d in (new(documents=("GDN", "CCCD")), online):
        assert by_code(evaluation.evaluate(d, [], CAL, facts))["online"].points == points


def test_attitude_and_feedback_follow_the_records():
    d = new(documents=("GDN", "CCCD"))
    run(d, (vn(2026, 3, 2, 9), "forward", {}), (vn(2026, 3, 2, 11), "forward", {}),
        (vn(2026, 3, 2, 14), "forward", {}), (vn(2026, 3, 2, 15), "forward", {}),
        (vn(2026, 3, 5, 9), "complete", {}))      # ready at the appointment: on time
    events = history(d)
    due = vn(2026, 3, 12, 9)

    def score(facts, now=vn(2026, 3, 20, 9)):
        return by_code(evaluation.evaluate(d, events, CAL, facts, now))
    plain = score(evaluation.Facts())
    assert (plain["attitude"].value, plain["attitude"].points) == ("on_time", 1)
    complained = score(evaluation.Facts(complaint=True))
    assert complained["attitude"].points == 0
    on_time = score(evaluation.Facts(feedback=(evaluation.Feedback(due, vn(2026, 3, 10, 9), False),)))
    assert on_time["feedback"].points == 2
    late = score(evaluation.Facts(feedback=(evaluation.Feedback(due, vn(2026, 3, 13, 9), True),)))
    assert late["feedback"].points == 0 and late["attitude"].points == 0
    pending = score(evaluation.Facts(feedback=(evaluation.Feedback(due, None, False),)), now=vn(2026, 3, 9, 9))
    assert pending["feedback"].points is None and pending["feedback"].source == "pending"
    dragging = score(evaluation.Facts(feedback=(evaluation.Feedback(due, None, False),)))
    assert dragging["feedback"].points == 0


@pytest.mark.parametrize("score, grade", [(18, "xuat_sac"), (15, "xuat_sac"), (14.9, "tot"), (12, "tot"),
                                          (11.9, "kha"), (9, "kha"), (8.9, "trung_binh"), (6, "trung_binh"),
                                          (5.9, "yeu"), (0, "yeu")])
def test_agency_grades_follow_article_15(score, grade):
    assert evaluation.grade(score) == grade


# ----------------------------------------------------------------------------------
# the survey pages' own English catalog (Flask-Babel domain "surveys")
# ----------------------------------------------------------------------------------
def test_survey_pages_are_translated_and_the_catalog_is_compiled():
    from babel.messages.extract import extract_from_file
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from web.citizen.survey_pages import PROBLEMS
    web = Path(__file__).parents[2] / "web"
    po = web / "survey_translations" / "en" / "LC_MESSAGES" / "surveys.po"
    with open(po, "rb") as fh:
        source = {m.id: m.string for m in read_po(fh, locale="en") if m.id}
    with open(po.with_suffix(".mo"), "rb") as fh:
        assert {m.id: m.string for m in read_mo(fh) if m.id} == source, "recompile surveys.mo"
    used = {text for _, title, text in PROBLEMS.values() for text in (title, text)}
    files = [(web / "citizen" / "survey_pages.py", "python"),
             *[(f, "jinja2") for f in sorted((web / "templates" / "survey").glob("*.html"))]]
    for path, method in files:
        used |= {m[1] for m in extract_from_file(method, str(path), keywords={"t": None})}
    assert used and not sorted(m for m in used if not source.get(m)), "translate these in surveys.po"
