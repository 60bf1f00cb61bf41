"""A search document reads more than its listing — its category's name and path, its holder's or warehouse's
name and place, its vendor, its offer's prices — and a change of any of those rows reaches the index through
the outbox, in every process, without a rebuild (market/pool/documents.py SOURCES)."""

from __future__ import annotations

from decimal import Decimal

from conftest import login
from factories import add_assets
from sqlmodel import select

import search
from market.accounts import save_unit
from market.catalogue import save_offer, save_vendor, update_category
from market.models import Category, SearchOutbox, Unit
from market.pool import listings as pool
from market.pool.index import PoolIndex, pool_index, save_synonyms


def _search(db, q: str = "", **filters) -> search.SearchResult:  # noqa: ANN001
    return pool_index(db).backend.search(search.SearchQuery(q=q, per_page=100, facets=("district", "holder"),
                                                           **filters))


def _rebuilt_equals_live(db) -> None:  # noqa: ANN001
    """The index kept by the outbox answers as one rebuilt from the ledger now."""
    rebuilt = PoolIndex(search.open_backend("embedded", None))
    rebuilt.rebuild(db)
    live = pool_index(db)
    for q in ("", "会议椅", "座椅", "椅", "帐篷", "租赁", "教育", "会展"):
        query = search.SearchQuery(q=q, per_page=100, facets=("district", "holder", "category"))
        mine, theirs = live.backend.search(query), rebuilt.backend.search(query)
        assert ([h for h in mine.hits], mine.facets) == ([h for h in theirs.hits], theirs.facets), q


def _chairs(db, world):  # noqa: ANN001, ANN202
    chairs = add_assets(db, world.edu, world.chair, 4)
    db.commit()
    return pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in chairs], title="闲置会议椅")


def test_a_renamed_category_reaches_the_cards_and_the_words_of_its_listings_and_offers(db, world):
    _chairs(db, world)
    pool_index(db)
    update_category(db, world.user("sysadmin"), world.chair.id, "0.8", "350", name="报告厅座椅")
    hits = _search(db, "报告厅座椅").hits
    assert {h["id"][0] for h in hits} == {"L", "M"}  # the idle chairs and the rental offer of chairs
    assert all(h["category_name"] == "报告厅座椅" for h in hits)
    _rebuilt_equals_live(db)


def test_a_renamed_parent_category_reaches_its_childrens_listings(db, world):
    parent = Category(code="A050102", name="椅凳类", measure_unit="把", is_leaf=False)
    db.add(parent)
    db.commit()
    world.chair.parent_id = parent.id
    db.add(world.chair)
    db.commit()  # a new parent: the children's documents gain it in their path
    _chairs(db, world)
    assert _search(db, "椅凳类").total >= 1
    update_category(db, world.user("sysadmin"), parent.id, "0.8", "350", name="坐具")
    assert _search(db, "坐具").total == _search(db, "会议椅").total >= 1
    assert _search(db, "椅凳类").total == 0
    _rebuilt_equals_live(db)


def test_a_unit_renamed_or_moved_shows_on_its_idle_lots(db, world):
    _chairs(db, world)
    assert _search(db, district="涪城区").total == 1  # the index as it was
    edu = world.edu
    save_unit(db, world.user("sysadmin"), edu.code, "市教育和体育局", "安州区", 31.60, 104.50, unit_id=edu.id)
    hit = next(h for h in _search(db, "会议椅").hits if h["id"][0] == "L")
    assert (hit["holder"], hit["district"], hit["lat"]) == ("市教育和体育局", "安州区", 31.60)
    assert _search(db, district="安州区").total == 1 and _search(db, district="涪城区").total == 0
    _rebuilt_equals_live(db)


def test_a_vendor_and_its_offers_show_as_they_are_now(db, world):
    pool_index(db)
    admin = world.user("sysadmin")
    offer = world.chair_offer
    save_offer(db, admin, offer.vendor_id, offer.category_id, "8.50", "120", 300, offer_id=offer.id)
    rental = _search(db, "会议椅", tier="rental").hits
    assert [(h["price_per_unit_day"], h["delivery_fee"], h["quantity"]) for h in rental] == [("8.50", "120.00", 300)]
    new = save_offer(db, admin, offer.vendor_id, world.projector.id, "40", "200", None, description="激光投影")
    assert [h["id"] for h in _search(db, "投影仪", tier="rental").hits] == [f"M{new.id}"]
    vendor = world.vendor
    save_vendor(db, admin, "绵州会展服务有限公司", vendor.lat, vendor.lng, vendor_id=vendor.id)
    assert {h["holder"] for h in _search(db, tier="rental").hits} == {"绵州会展服务有限公司"}
    _rebuilt_equals_live(db)
    save_vendor(db, admin, "绵州会展服务有限公司", vendor.lat, vendor.lng, vendor_id=vendor.id, is_active=False)
    assert _search(db, tier="rental").total == 0  # a vendor stopped: none of its offers is offered
    _rebuilt_equals_live(db)


def test_a_change_no_document_reads_queues_nothing(db, world):
    pool_index(db)
    before = len(db.exec(select(SearchOutbox)).all())
    unit = db.get(Unit, world.edu.id)
    unit.phone, unit.contact = "0816-2222222", "王老师"
    db.add(unit)
    db.commit()
    assert len(db.exec(select(SearchOutbox)).all()) == before
    unit.district = "安州区"
    db.add(unit)
    db.commit()
    rows = db.exec(select(SearchOutbox).where(SearchOutbox.id > 0)).all()[before:]
    assert [(r.listing_id, r.source, r.source_id) for r in rows] == [(None, "unit", world.edu.id)]


def test_another_process_applies_edited_synonyms_at_its_next_catch_up(db, world):
    _chairs(db, world)
    other = PoolIndex(search.open_backend("embedded", None))  # another worker's index, built before the edit
    other.rebuild(db)
    db.commit()

    def found(index: PoolIndex) -> int:
        return index.backend.search(search.SearchQuery(q="坐凳")).total

    assert found(other) == 0
    save_synonyms(db, world.user("sysadmin"), "坐凳 会议椅\n")
    assert found(pool_index(db)) >= 1  # this process: before its next search
    other.catch_up(db)
    assert found(other) >= 1  # the other: at its next catch-up, no restart


def test_the_browse_page_shows_a_renamed_category_on_its_cards(http, db, world):
    _chairs(db, world)
    login(http, "staff_edu")
    assert "<span class=\"muted\">会议椅</span>" in http.get("/", params={"q": "会议椅"}).text
    update_category(db, world.user("sysadmin"), world.chair.id, "0.8", str(Decimal("350")), name="报告厅座椅")
    page = http.get("/", params={"q": "报告厅座椅"}).text
    assert "<span class=\"muted\">报告厅座椅</span>" in page and "<span class=\"muted\">会议椅</span>" not in page


def test_a_change_read_by_many_documents_is_applied_in_batches(db, world, monkeypatch):
    from market.pool import index as index_module

    for i in range(5):
        chairs = add_assets(db, world.edu, world.chair, 1, prefix=f"B{i}")
        db.commit()
        pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in chairs], title=f"闲置会议椅{i}")
    index = pool_index(db)
    sizes: list[int] = []
    real = index_module.documents_for

    def counted(session, ids):  # noqa: ANN001, ANN202
        sizes.append(len(ids))
        return real(session, ids)

    monkeypatch.setattr(index_module, "documents_for", counted)
    update_category(db, world.user("sysadmin"), world.chair.id, "0.8", "350", name="报告厅座椅")
    index.catch_up(db, batch=2)  # one outbox row, five listings
    assert sizes == [2, 2, 1]
    names = {h["category_name"] for h in index.backend.search(search.SearchQuery(q="报告厅座椅", per_page=50)).hits}
    assert names == {"报告厅座椅"} and index.backend.search(search.SearchQuery(q="报告厅座椅", tier="idle")).total == 5


def test_a_bulk_update_statement_queues_the_rows_it_changes(db, world):
    from sqlalchemy import update

    from market.models import RentalVendor

    _chairs(db, world)
    pool_index(db)
    db.exec(update(RentalVendor).where(RentalVendor.id == world.vendor.id).values(name="锦川会展有限公司"))
    db.commit()
    assert {h["holder"] for h in _search(db, tier="rental").hits} == {"锦川会展有限公司"}
    db.exec(update(Unit).values(district="安州区"))  # every unit: their idle lots all move
    db.commit()
    assert _search(db, district="安州区").total == 1
    _rebuilt_equals_live(db)
