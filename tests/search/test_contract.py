"""The Search rules of API.md, checked against every backend with a realistic library.

Runs on the sqlite backend always (with a SQLite catalogue: FTS5 in the same transaction;
with PostgreSQL: FTS5 in its own file fed through the outbox) and on Meilisearch when
BATON_TEST_MEILI_URL names a server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.catalogue import publish, transition
from tests.conftest import Actor
from tests.search.conftest import Library, ids, search
from tests.search.corpus import HIDDEN, LIVE

ALL_LIVE = len(LIVE)


def top(result: dict[str, object], n: int = 3) -> list[str]:
    return ids(result)[:n]  # type: ignore[arg-type]


# --- relevance --------------------------------------------------------------------------


def test_title_and_question_text_outrank_body(rep: Actor, library: Library) -> None:
    result = search(rep, "offline")
    found = ids(result)
    # Title and linked question say "offline"; the deck only mentions it in its body.
    assert found[0] == library["offline_onepager"]["id"]
    assert library["scheduler_deck"]["id"] in found
    assert found.index(library["offline_onepager"]["id"]) < found.index(
        library["scheduler_deck"]["id"]
    )
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_linked_question_text_is_searched(rep: Actor, library: Library) -> None:
    # "implementation" appears only in the linked question of the rollout plan, and in
    # the body of the Procore guide: the question weighs more.
    found = ids(search(rep, "implementation"))
    assert found[0] == library["rollout_plan"]["id"]
    assert library["procore_guide"]["id"] in found


def test_reps_find_the_piece_in_the_first_three(rep: Actor, library: Library) -> None:
    expectations = {
        "security compliance": "security_whitepaper",
        "harbor construction punch list": "roi_construction",
        "preventive maintenance downtime": "manufacturing_case",
        "procore": "procore_guide",
        "battlecard at&t": "battlecard",
        "soc 2": "security_whitepaper",
        "new crews onboarding checklist": "onboarding_checklist",
    }
    for query, key in expectations.items():
        assert library[key]["id"] in top(search(rep, query)), query


# --- words: stemming, typos, prefixes, synonyms -----------------------------------------


def test_stemming_matches_other_word_forms(rep: Actor, library: Library) -> None:
    # The guide says "integration" and "integrates", never "integrate".
    assert library["procore_guide"]["id"] in top(search(rep, "integrate"))
    assert library["manufacturing_case"]["id"] in top(search(rep, "schedule maintenance"))


def test_typos_are_forgiven_within_the_thresholds(
    rep: Actor, library: Library, search_backend: str
) -> None:
    cases = {
        "constructon": ("roi_construction", "construction"),  # 11 letters, one deletion
        "secuirty": ("security_whitepaper", "security"),  # 8 letters, adjacent swap
        "implmentaion": ("rollout_plan", "implementation"),  # 12 letters, two edits
    }
    for typo, (key, corrected) in cases.items():
        result = search(rep, typo)
        assert library[key]["id"] in top(result), typo
        if search_backend == "sqlite":
            assert result["corrected_query"] == corrected


def test_typos_beyond_the_thresholds_find_nothing(rep: Actor, library: Library) -> None:
    # 6 letters, two edits from "security": one is allowed.
    assert search(rep, "scurty")["total"] == 0
    # 3 letters: no typo allowed, "rio" is not "roi".
    assert search(rep, "rio")["total"] == 0


def test_corrected_query_is_null_when_nothing_was_corrected(rep: Actor, library: Library) -> None:
    assert search(rep, "security")["corrected_query"] is None


def test_last_word_matches_as_a_prefix(rep: Actor, library: Library) -> None:
    assert library["onboarding_checklist"]["id"] in top(search(rep, "onboar"))
    assert library["fleet_ebook"]["id"] in top(search(rep, "fleet telemat"))
    # Only the last word is a prefix: "secur" alone matches, "secur overview" relies on
    # "overview" and still puts the security paper first.
    assert library["security_whitepaper"]["id"] in top(search(rep, "secur"))


def test_synonyms_apply_both_ways(
    marketer: Actor, rep: Actor, library: Library, keyword_only: None
) -> None:
    roi, case = library["roi_construction"]["id"], library["business_case"]["id"]
    marketer.put("/v1/search/synonyms", json={})  # from a catalogue without any
    assert case not in ids(search(rep, "roi"))
    assert roi not in ids(search(rep, "return on investment"))

    response = marketer.put(
        "/v1/search/synonyms", json={"ROI": ["return on investment"], "clinic": ["Hospital"]}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"clinic": ["hospital"], "roi": ["return on investment"]}
    assert rep.get("/v1/search/synonyms").json() == response.json()

    assert {roi, case} <= set(top(search(rep, "roi")))
    assert {roi, case} <= set(top(search(rep, "return on investment")))
    assert top(search(rep, "clinic"), 1) == [library["hospital_testimonial"]["id"]]
    # A multi-word synonym inside a longer query still counts as one word.
    assert top(search(rep, "return on investment manufacturers"), 1) == [case]


def test_a_new_catalogue_knows_the_acronyms_reps_type(
    marketer: Actor, rep: Actor, library: Library, keyword_only: None
) -> None:
    defaults = rep.get("/v1/search/synonyms").json()
    assert sum(len(values) for values in defaults.values()) >= 60
    assert "single sign-on" in defaults["sso"]
    assert "return on investment" in defaults["roi"]
    assert "business associate agreement" in defaults["baa"]
    sso = publish(marketer, title="Okta single sign-on for field crews", body="One login.")
    assert sso["id"] in ids(search(rep, "sso"))
    assert library["business_case"]["id"] in ids(search(rep, "roi"))
    baa = publish(marketer, title="Signing a business associate agreement", body="HIPAA.")
    assert baa["id"] in ids(search(rep, "BAA"))

    # They are the marketers' to change: one removed stays removed.
    del defaults["sso"]
    assert "sso" not in marketer.put("/v1/search/synonyms", json=defaults).json()
    assert sso["id"] not in ids(search(rep, "sso"))


def test_synonyms_can_be_replaced_and_cleared(
    marketer: Actor, rep: Actor, library: Library, keyword_only: None
) -> None:
    marketer.put("/v1/search/synonyms", json={"roi": ["return on investment"]})
    assert marketer.put("/v1/search/synonyms", json={}).json() == {}
    assert library["business_case"]["id"] not in ids(search(rep, "roi"))


def test_only_marketers_change_synonyms(rep: Actor, anonymous: Actor) -> None:
    assert rep.put("/v1/search/synonyms", json={"a": ["b"]}).status_code == 403
    assert anonymous.get("/v1/search/synonyms").status_code == 401


def test_bad_synonyms_are_422(marketer: Actor) -> None:
    for body in ({"roi": "return on investment"}, {"": ["x"]}, {"roi": [""]}, ["roi"]):
        response = marketer.put("/v1/search/synonyms", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


# --- every word must match, with a fallback ---------------------------------------------


def test_every_word_must_match(rep: Actor, library: Library) -> None:
    result = search(rep, "security healthcare")
    # Both words: the security paper (healthcare is one of its industries? no: words only
    # count in text) and the hospital testimonial, which mentions security and hospital.
    for hit in result["hits"]:
        text = " ".join(
            [hit["asset"]["title"], hit["asset"]["summary"], *hit["highlights"].values()]
        ).lower()
        assert "secur" in text
    assert library["manufacturing_case"]["id"] not in ids(result)


def test_falls_back_to_the_most_words(rep: Actor, library: Library) -> None:
    # No piece has all three words; the Procore guide has two of them.
    result = search(rep, "procore connector quantum")
    assert result["total"] > 0
    assert top(result, 1) == [library["procore_guide"]["id"]]
    # Nothing at all matches: zero results.
    empty = search(rep, "qwxzvbn plmoknij")
    assert empty["total"] == 0
    assert empty["hits"] == []


# --- filters and facets -----------------------------------------------------------------


def _expected(**filters: list[str]) -> set[str]:
    fields = {
        "kind": "kind",
        "industry": "industries",
        "stage": "stages",
        "persona": "personas",
        "product": "products",
    }
    keys = set()
    for piece in LIVE:
        ok = True
        for name, wanted in filters.items():
            have = piece[fields[name]]
            have = [have] if isinstance(have, str) else have
            ok = ok and bool(set(have) & set(wanted))
        if ok:
            keys.add(piece["key"])
    return keys


def test_filters_or_within_and_across(rep: Actor, library: Library) -> None:
    params = {"kind": ["case_study", "one_pager"], "industry": ["construction", "manufacturing"]}
    result = search(rep, "fieldline", **params)
    expected = {library[k]["id"] for k in _expected(**params)}
    assert len(expected) == 5
    assert set(ids(result)) == expected
    assert result["total"] == 5
    for hit in result["hits"]:
        assert hit["asset"]["kind"] in params["kind"]
        assert set(hit["asset"]["industries"]) & set(params["industry"])


def test_product_filter(rep: Actor, library: Library) -> None:
    params = {"product": ["scheduler", "analytics"]}
    result = search(rep, "fieldline", **params)
    expected = {library[k]["id"] for k in _expected(**params)}
    assert expected and set(ids(result)) == expected
    assert result["total"] == len(expected)


def test_the_response_envelope(rep: Actor, library: Library) -> None:
    first = search(rep, "fieldline")
    assert set(first) == {
        "query",
        "corrected_query",
        "total",
        "limit",
        "offset",
        "took_ms",
        "hits",
        "facets",
        "match",
        "search_id",
    }
    assert first["match"] == "all"
    assert first["query"] == "fieldline"
    assert (first["limit"], first["offset"]) == (20, 0)
    assert isinstance(first["took_ms"], int | float) and first["took_ms"] >= 0
    page = search(rep, "fieldline", limit=5, offset=5)
    assert (page["limit"], page["offset"]) == (5, 5)
    assert ids(page) == ids(search(rep, "fieldline", limit=20))[5:10]


def test_tags_outrank_body(marketer: Actor, rep: Actor, library: Library) -> None:
    tagged = publish(marketer, title="Crew map", body="A map of crews.", tags=["geofencing"])
    mentioned = publish(
        marketer, title="Crew list", body="A list of crews, with geofencing for each site."
    )
    found = ids(search(rep, "geofencing"))
    assert found.index(tagged["id"]) < found.index(mentioned["id"])


def test_filters_apply_to_browsing_and_take_labels(rep: Actor, library: Library) -> None:
    result = search(rep, "", stage=["Onboarding"], persona=["it-director"])
    assert set(ids(result)) == {
        library[k]["id"] for k in _expected(stage=["onboarding"], persona=["it-director"])
    }
    assert search(rep, "", tag=["Punch  List"])["total"] == 1
    assert search(rep, "fieldline", industry=["no-such-industry"])["total"] == 0


def test_facets_count_every_hit_not_only_the_page(rep: Actor, library: Library) -> None:
    result = search(rep, "fieldline", limit=2)
    assert result["total"] == ALL_LIVE
    assert len(result["hits"]) == 2
    facets = result["facets"]
    assert set(facets) == {"kind", "stages", "industries", "personas", "products"}
    assert sum(facets["kind"].values()) == ALL_LIVE
    construction = sum("construction" in p["industries"] for p in LIVE)
    assert facets["industries"]["construction"] == construction
    assert facets["stages"]["decision"] == sum("decision" in p["stages"] for p in LIVE)
    # Filtered: the facets describe the filtered hits.
    filtered = search(rep, "fieldline", industry=["construction"])
    assert filtered["facets"]["industries"]["construction"] == filtered["total"] == construction
    # Hidden pieces are never counted for a rep.
    assert "logistics" in facets["industries"]
    assert facets["industries"]["logistics"] == sum("logistics" in p["industries"] for p in LIVE)


# --- highlights and escaping ------------------------------------------------------------


def test_highlights_mark_matched_words(rep: Actor, library: Library) -> None:
    hit = search(rep, "procore integration")["hits"][0]
    assert hit["asset"]["id"] == library["procore_guide"]["id"]
    assert hit["highlights"]["title"] == "<mark>Procore</mark> <mark>integration</mark> guide"
    assert "<mark>" in hit["highlights"]["body"]
    assert "body" not in hit["asset"]


def test_highlights_escape_html(rep: Actor, library: Library) -> None:
    hit = search(rep, "battlecard")["hits"][0]
    assert hit["asset"]["id"] == library["battlecard"]["id"]
    title = hit["highlights"]["title"]
    assert title == "<mark>Battlecard</mark>: Fieldline vs. AT&amp;T Field Force &lt;beta&gt;"
    body = search(rep, "paste customer code")["hits"][0]["highlights"]["body"]
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    # Only <mark> tags are ever markup.
    assert set(re.findall(r"<(/?\w+)", body)) <= {"mark", "/mark"}


def test_body_snippet_is_at_most_300_characters(rep: Actor, library: Library) -> None:
    hit = search(rep, "telematics")["hits"][0]
    assert hit["asset"]["id"] == library["fleet_ebook"]["id"]
    body = hit["highlights"]["body"]
    assert len(body) <= 300
    assert "<mark>telematics</mark>" in body
    assert body.count("<mark>") == body.count("</mark>")


# --- any text is a query ----------------------------------------------------------------

NASTY = [
    '"',
    '"unbalanced quote',
    "AT&T",
    "C++",
    "NEAR(",
    "NEAR(offline scheduling, 2)",
    "foo OR",
    "OR",
    "AND",
    "NOT",
    "-offline",
    "title:offline",
    "{title}: offline",
    "offline*",
    "*",
    "^offline",
    "(",
    ")",
    "((offline))",
    "'; DROP TABLE assets; --",
    "1 OR 1=1",
    "%_",
    "\\",
    "😀 émoji naïve",
    "零件 维护",
    "\u0000null byte",
    " ",
    "x" * 512,
    "offline " * 64,
]


def test_any_text_is_a_plain_query(rep: Actor, marketer: Actor, library: Library) -> None:
    failures = {}
    for query in NASTY:
        for actor in (rep, marketer):
            response = actor.get("/v1/search", params={"q": query})
            if response.status_code != 200:
                failures[query] = response.text
    assert failures == {}


def test_operator_words_are_searched_as_words(rep: Actor, library: Library) -> None:
    # "-offline" is the word offline, not a column filter or an exclusion.
    assert library["offline_onepager"]["id"] in top(search(rep, "-offline"))
    assert library["offline_onepager"]["id"] in top(search(rep, "title:offline"))
    assert library["battlecard"]["id"] in top(search(rep, "AT&T"))


def test_a_query_over_512_characters_is_422(rep: Actor) -> None:
    response = rep.get("/v1/search", params={"q": "x" * 513})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "q"]


def test_bad_parameters_are_422(rep: Actor) -> None:
    for params in (
        {"kind": "podcast"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"status": "deleted"},
    ):
        response = rep.get("/v1/search", params=params)
        assert response.status_code == 422, params


def test_search_needs_a_key(anonymous: Actor) -> None:
    assert anonymous.get("/v1/search", params={"q": "offline"}).status_code == 401


# --- browsing, paging -------------------------------------------------------------------


def test_empty_query_browses_most_recently_approved_first(rep: Actor, library: Library) -> None:
    result = search(rep, "")
    assert result["total"] == ALL_LIVE
    newest_first = [library[p["key"]]["id"] for p in reversed(LIVE)]
    assert ids(result) == newest_first[:20]
    approved = [hit["asset"]["approved_at"] for hit in result["hits"]]
    assert approved == sorted(approved, reverse=True)


def test_pages_do_not_overlap(rep: Actor, library: Library) -> None:
    first = search(rep, "fieldline", limit=5)
    second = search(rep, "fieldline", limit=5, offset=5)
    third = search(rep, "fieldline", limit=5, offset=10)
    seen = ids(first) + ids(second) + ids(third)
    assert len(seen) == len(set(seen)) == ALL_LIVE
    assert first["total"] == second["total"] == ALL_LIVE
    assert search(rep, "fieldline", offset=50)["hits"] == []


# --- who sees what ----------------------------------------------------------------------


def test_reps_see_live_assets_only(marketer: Actor, rep: Actor, library: Library) -> None:
    assert search(rep, "robotics")["total"] == 0
    assert search(rep, "robotics", status=["draft"])["total"] == 0  # ignored for a rep
    seen = search(marketer, "robotics")
    assert seen["total"] == len(HIDDEN)
    assert ids(search(marketer, "robotics", status=["draft"])) == [library["draft_robotics"]["id"]]
    both = search(marketer, "robotics", status=["in_review", "archived"])
    assert set(ids(both)) == {library["review_robotics"]["id"], library["archived_robotics"]["id"]}
    assert search(marketer, "")["total"] == ALL_LIVE + len(HIDDEN)


def test_expiry_is_judged_at_query_time(
    client: TestClient, marketer: Actor, rep: Actor, library: Library
) -> None:
    now = datetime.now(UTC)
    news = publish(
        marketer,
        title="Industry news: cold chain regulations tighten",
        kind="talking_point",
        body="New cold chain rules change how Fieldline customers log fridge temperatures.",
        expires_at=(now + timedelta(hours=1)).isoformat(),
    )
    assert ids(search(rep, "cold chain")) == [news["id"]]
    # No write happens: only the clock moves past the expiry.
    client.app.state.clock = lambda: now + timedelta(hours=2)  # type: ignore[attr-defined]
    assert search(rep, "cold chain")["total"] == 0
    assert news["id"] not in ids(search(rep, ""))
    assert ids(search(marketer, "cold chain")) == [news["id"]]


# --- read your writes -------------------------------------------------------------------


def test_a_2xx_write_is_visible_to_the_next_search(
    marketer: Actor, admin: Actor, rep: Actor, library: Library, keyword_only: None
) -> None:
    asset = publish(marketer, title="Drone roof inspections", body="Fieldline drones.")
    assert ids(search(rep, "drone")) == [asset["id"]]

    # Tags change: still approved, found by the new tag at once.
    response = marketer.patch(f"/v1/assets/{asset['id']}", json={"tags": ["aerial survey"]})
    assert response.status_code == 200
    assert ids(search(rep, "aerial")) == [asset["id"]]

    # Content change: a pending revision; everyone keeps finding the approved words until
    # it is approved, then the new ones at once.
    response = marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Drone facade scans"})
    assert response.status_code == 202
    assert response.json()["status"] == "approved"
    assert ids(search(rep, "roof")) == [asset["id"]]
    assert search(rep, "facade")["total"] == 0
    assert search(marketer, "facade")["total"] == 0

    revision = f"/v1/assets/{asset['id']}/revisions/{response.json()['pending_revision']['id']}"
    for action in ("submit", "approve"):
        assert marketer.post(f"{revision}/{action}").status_code == 200
    assert ids(search(rep, "facade")) == [asset["id"]]
    assert search(rep, "roof")["total"] == 0

    transition(marketer, asset["id"], "archive")
    assert search(rep, "facade")["total"] == 0

    assert admin.delete(f"/v1/assets/{asset['id']}").status_code == 204
    assert search(marketer, "facade")["total"] == 0


def test_browsing_counts_each_asset_once_after_edits(
    marketer: Actor, rep: Actor, library: Library
) -> None:
    assert search(marketer, "")["total"] == ALL_LIVE + len(HIDDEN)
    for piece in ("roi_construction", "draft_robotics"):
        asset_id = library[piece]["id"]
        response = marketer.patch(f"/v1/assets/{asset_id}", json={"tags": ["edited"]})
        assert response.status_code == 200
    assert search(marketer, "")["total"] == ALL_LIVE + len(HIDDEN)
    assert search(rep, "")["total"] == ALL_LIVE
    assert search(marketer, "", tag=["edited"])["total"] == 2


def test_new_words_are_corrected_at_once(marketer: Actor, rep: Actor, search_backend: str) -> None:
    asset = publish(marketer, title="Geothermal heat pump servicing", body="Fieldline.")
    result = search(rep, "geothermel")
    assert ids(result) == [asset["id"]]
    if search_backend == "sqlite":
        assert result["corrected_query"] == "geothermal"


# --- the search log ---------------------------------------------------------------------


def test_every_search_is_logged(
    client: TestClient, marketer: Actor, rep: Actor, library: Library
) -> None:
    # The total the rep was shown (hits close in meaning count too, once embedded).
    offline = search(rep, "  Offline, MODE!! ", kind=["one_pager"])["total"]
    assert offline >= 1
    search(rep, "qwxzvbn")
    search(marketer, "")
    client.app.state.search.log.flush()  # type: ignore[attr-defined]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT query, normalized_query, filters, total, role, user_id FROM search_log"
                " ORDER BY id"
            )
        ).all()
    assert [(r.normalized_query, r.total, r.role) for r in rows] == [
        ("offline mode", offline, "rep"),
        ("qwxzvbn", 0, "rep"),
        ("", ALL_LIVE + len(HIDDEN), "marketer"),
    ]
    assert rows[0].query == "  Offline, MODE!! "
    filters = rows[0].filters
    assert (filters if isinstance(filters, dict) else __import__("json").loads(filters)) == {
        "kind": ["one_pager"]
    }
    assert rows[0].user_id == rep.id


def test_search_figures_reach_metrics(client: TestClient, rep: Actor, library: Library) -> None:
    search(rep, "offline")
    text = client.get("/metrics").text
    assert "baton_search_duration_seconds_count" in text
    assert "baton_search_index_lag_changes" in text
    ready = client.get("/readyz").json()
    assert ready.pop("semantic") in ("ok", "off")
    assert ready == {"data_dir": "ok", "database": "ok", "search": "ok"}
