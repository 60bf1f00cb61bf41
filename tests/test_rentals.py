"""A page for every rental offer (issue 17.6): price, vendor, and the units free on the coming days after the
rentals already promised — the same bookings the matcher counts."""

from __future__ import annotations

from datetime import date

from conftest import login

from market.infra.db import session_scope
from market.models import RentalOffer
from market.proposals import accept_proposal, run_matcher
from market.rentals import offer_page
from market.requests import LineInput, approve_request, submit_request


def test_offer_page_counts_promised_rentals(db, world):
    offer = db.get(RentalOffer, world.chair_offer.id)
    offer.capacity = 30
    db.commit()
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 20, date(2026, 12, 3),
                                                                         date(2026, 12, 5))])
    approve_request(db, world.user("admin"), req.id)
    accept_proposal(db, world.user("admin"), run_matcher(db, world.user("admin"), today=date(2026, 12, 1)).id)
    v = offer_page(db, world.user("staff_health"), offer.id, today=date(2026, 12, 1))
    assert v.out == [(date(2026, 12, 3), date(2026, 12, 5), 20)]
    assert v.periods[:3] == [(date(2026, 12, 1), date(2026, 12, 2), 0, 30), (date(2026, 12, 3), date(2026, 12, 5), 20, 10),
                             (date(2026, 12, 6), date(2027, 1, 11), 0, 30)]


def test_offer_page_in_the_browser_and_search_links_to_it(http, world):
    login(http, "staff_health")
    r = http.get(f"/rentals/{world.chair_offer.id}")
    assert r.status_code == 200 and "绵州会展租赁有限公司" in r.text and "¥6.00/件/天" in r.text and "可租" in r.text
    assert f'href="/rentals/{world.chair_offer.id}"' in http.get("/", params={"q": "会议椅"}).text
    assert http.get("/rentals/999999").status_code == 404
    with session_scope(write=True) as db:
        db.get(RentalOffer, world.chair_offer.id).is_active = False
        db.commit()
    r = http.get(f"/rentals/{world.chair_offer.id}")
    assert r.status_code == 403 and "已停用" in r.text
