"""The search read model (projections/search, docs/adr/0030-claim-search.md): claims found by
claim number, subscription number or insured name, names kept only as keyed hashes, forgotten
on demand, exactly once and rebuilt like the other read models; SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from domain.values import Insured
from projections.base import ProjectionEngine
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, all_projections
from projections.search.fold import SearchProjection, normalise, words
from projections.search.queries import forget, search_claims
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import HmacNameHasher, build_event_log
from tests.domain.gwt import declaration
from tests.projections.test_data_at_rest import _everything

KEY = "a-search-key-for-the-tests-only-0123456789"
HASHER = HmacNameHasher(KEY)
NAMES = ("Hélène  D'Arcy-Lefèvre", "Jean Martin")


def _runner(app: ClaimsApplication, store: ReadStore) -> ProjectionRunner:
    runner = ProjectionRunner(build_event_log(app), store, all_projections(app.calendar, HASHER))
    runner.setup()
    return runner


def _declare(app: ClaimsApplication, subscription: str, *names: str) -> str:
    insured = tuple(Insured(name=n, trip_price=Decimal("600.00")) for n in names)
    claim = app.declare(declaration(subscription_number=subscription, insured=insured), by="h1")
    return claim.claim_number


def _found(store: ReadStore, query: str) -> list[str]:
    rows, searched = search_claims(store, query, hasher=HASHER)
    assert searched or not words(query)
    return [row["claim_number"] for row in rows]


def test_names_are_normalised_without_case_accents_or_extra_spaces() -> None:
    assert words("  Hélène  D'Arcy-Lefèvre ") == ["helene", "d", "arcy", "lefevre"]
    assert normalise("ÉLODIE   du\tPont") == normalise("elodie DU PONT") == "elodie du pont"
    assert normalise("Straße") == "strasse"  # case-folded
    assert HASHER("name:x") != HmacNameHasher(KEY + "!")("name:x")


def test_claims_are_found_by_number_subscription_or_name_and_no_name_is_kept(
    app: ClaimsApplication, store: ReadStore
) -> None:
    first = _declare(app, "NQ7LVFB", *NAMES)
    second = _declare(app, "ZZ12345", "Jeanne Martin")
    _runner(app, store).catch_up()
    assert _found(store, first.lower()) == [first]
    assert _found(store, " nq7lvfb ") == [first]
    assert _found(store, "helene d arcy lefevre") == [first]  # the whole name
    assert _found(store, "LEFÈVRE hélène") == [first]  # some of its words, any order
    assert sorted(_found(store, "martin")) == sorted([first, second])
    assert _found(store, "Jeanne") == [second]
    assert _found(store, "Jean") == [first]  # a word is a whole word, not a prefix
    assert _found(store, "Mart") == []
    assert _found(store, "Jeanne Lefèvre") == []  # every word on one claim's names
    dump = _everything(store).casefold()
    for name in (*NAMES, "Jeanne Martin"):
        for text in (name, normalise(name), *words(name)):
            if len(text) > 2:
                assert text.casefold() not in dump, text
    kept = {kind for (kind,) in store.query("SELECT DISTINCT kind FROM claim_search")}
    assert kept == {"claim", "subscription", "name", "word"}


def test_without_a_key_no_name_is_kept_nor_searched(
    app: ClaimsApplication, store: ReadStore
) -> None:
    number = _declare(app, "NQ7LVFB", *NAMES)
    runner = ProjectionRunner(build_event_log(app), store, all_projections(app.calendar))
    runner.setup()
    runner.catch_up()
    assert search_claims(store, "Jean Martin", hasher=None) == ([], False)
    rows, _ = search_claims(store, "NQ7LVFB", hasher=None)
    assert [row["claim_number"] for row in rows] == [number]
    kinds = {kind for (kind,) in store.query("SELECT DISTINCT kind FROM claim_search")}
    assert kinds == {"claim", "subscription"}


def test_forget_erases_a_claims_names_and_keeps_its_numbers(
    app: ClaimsApplication, store: ReadStore
) -> None:
    number = _declare(app, "NQ7LVFB", *NAMES)
    other = _declare(app, "ZZ12345", "Jean Martin")
    runner = _runner(app, store)
    runner.catch_up()
    claim = app.find_by_number(number)
    assert forget(store, claim.id) == 2 + 6  # two whole names, six distinct words
    assert _found(store, "Jean Martin") == [other]
    assert _found(store, "NQ7LVFB") == [number]
    (state,) = store.query(
        "SELECT state FROM claim_search_state WHERE claim_id = ?", [str(claim.id)]
    )
    assert '"name"' not in state[0]
    assert '"word"' not in state[0]
    app.add_note(claim.id, text="later event", noted_on=claim.declared_on, by="h1")
    runner.catch_up()  # a later event does not bring the names back
    assert _found(store, "Jean Martin") == [other]
    assert forget(store, claim.id) == 0


def test_the_search_read_model_rebuilds_and_verifies_and_a_new_key_rebuilds_it(
    app: ClaimsApplication, store: ReadStore
) -> None:
    for index in range(30):
        _declare(app, f"SUB{index:04d}", f"Insured Number{index}", "Élise Roux")
    runner = _runner(app, store)
    runner.run_once()
    runner.catch_up()
    projection = SearchProjection(HASHER)
    report = rebuild(build_event_log(app), store, projection, verify=True)
    assert report.matches, report.differences[:3]
    # Per claim: its two numbers, two whole names, four words, and its state.
    assert report.rows == 30 * (2 + 2 + 4 + 1)
    with store.transaction() as tx:
        tx.execute(
            "DELETE FROM claim_search WHERE kind = 'word' AND claim_id IN "
            "(SELECT claim_id FROM claim_search WHERE term = 'SUB0003')"
        )
    assert not rebuild(build_event_log(app), store, projection, verify=True).matches
    assert rebuild(build_event_log(app), store, projection, verify=False).parked == []
    assert len(_found(store, "élise roux")) == 30
    # Another key: the tables' fingerprint changes, they are emptied and filled again.
    other = HmacNameHasher(KEY + "-rotated")
    assert other.key_id != HASHER.key_id
    engine = ProjectionEngine(store, SearchProjection(other))
    engine.create_tables()
    assert engine.position() == 0
    assert store.query("SELECT COUNT(*) FROM claim_search")[0][0] == 0
