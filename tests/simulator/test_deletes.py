from simulator.clock import iso
from tests.simulator.api import Api


def test_deleted_deals_only_with_status_deleted(simulator):
    sim = simulator(seed=31, counts={"deals": 50})
    api = Api(sim)
    deal = next(row for row in sim.truth("deals") if not row["is_deleted"] and not row["is_archived"])
    sim.advance(10)
    response = api.request("DELETE", f"/api/v2/deals/{deal['id']}")
    assert response.json() == {"success": True, "data": {"id": deal["id"]}}
    default_ids = {row["id"] for row in api.walk("/api/v2/deals", limit=500)[0]}
    assert deal["id"] not in default_ids
    deleted = api.data("/api/v2/deals", status="deleted", limit=500)
    assert deal["id"] in {row["id"] for row in deleted}
    assert all(row["is_deleted"] for row in deleted)
    mixed = api.data("/api/v2/deals", status="open,won,lost,deleted", limit=500)
    assert {row["id"] for row in mixed} >= default_ids | {deal["id"]}
    again = api.data(f"/api/v2/deals/{deal['id']}")
    assert again["is_deleted"] is True and again["update_time"] == iso(sim.now())


def test_deleted_persons_stay_listed_with_is_deleted_until_purged(simulator):
    sim = simulator(seed=32, counts={"persons": 30})
    api = Api(sim)
    person_id = next(row["id"] for row in sim.truth("persons") if not row["is_deleted"])
    sim.advance(5)
    api.request("DELETE", f"/api/v2/persons/{person_id}")
    since = api.data("/api/v2/persons", updated_since=iso(sim.now()))
    assert [(row["id"], row["is_deleted"]) for row in since] == [(person_id, True)]
    assert api.request("PATCH", f"/api/v2/persons/{person_id}", json={"name": "x"}).status_code == 410
    sim.advance(29 * 86_400)
    assert api.get(f"/api/v2/persons/{person_id}").status_code == 200
    sim.advance(86_400 + 1)
    gone = api.get(f"/api/v2/persons/{person_id}")
    assert gone.status_code == 404 and gone.json()["error"] == "Person not found"
    assert person_id not in {row["id"] for row in sim.truth("persons")}


def test_generated_soft_deletes_are_younger_than_the_purge(simulator):
    sim = simulator(seed=33, counts={"deals": 400})
    deleted = [row for row in sim.truth("deals") if row["is_deleted"]]
    assert deleted
    assert sim.purge() == 0
    sim.advance(31 * 86_400)
    assert not [row for row in sim.truth("deals") if row["is_deleted"]]


def test_archived_deals_only_under_archived(simulator):
    sim = simulator(seed=34, counts={"deals": 80})
    api = Api(sim)
    deal_id = next(
        row["id"] for row in sim.truth("deals") if not row["is_deleted"] and not row["is_archived"]
    )
    sim.archive("deals", deal_id)
    listed = {row["id"] for row in api.walk("/api/v2/deals", limit=500)[0]}
    archived = api.walk("/api/v2/deals/archived", limit=500)[0]
    assert deal_id not in listed
    assert deal_id in {row["id"] for row in archived}
    assert all(row["is_archived"] for row in archived)
    assert {row["id"] for row in archived} == {
        row["id"] for row in sim.truth("deals") if row["is_archived"] and not row["is_deleted"]
    }
    assert sim.stats["endpoints"]["GET /api/v2/deals/archived"]["tokens"] == 20
    unarchived = api.request("PATCH", f"/api/v2/deals/{deal_id}", json={"is_archived": False}).json()["data"]
    assert unarchived["is_archived"] is False
    assert deal_id in {row["id"] for row in api.walk("/api/v2/deals", limit=500)[0]}


def test_removing_a_product_from_a_deal_makes_it_disappear(simulator):
    sim = simulator(seed=35)
    api = Api(sim)
    attachment = sim.truth("deal_products")[0]
    path = f"/api/v2/deals/{attachment['deal_id']}/products"
    assert attachment["id"] in {row["id"] for row in api.data(path)}
    assert api.request("DELETE", f"{path}/{attachment['id']}").status_code == 200
    assert attachment["id"] not in {row["id"] for row in api.data(path)}
    assert attachment["id"] not in {row["id"] for row in sim.truth("deal_products")}


def test_a_purged_person_leaves_the_deals_it_took_part_in_and_its_followers_go(simulator):
    sim = simulator(seed=33, counts={"deals": 60, "persons": 40})
    api = Api(sim)
    with sim.store.lock:
        links = list(sim.store.tables["deal_participants"].rows.values())
        link = next(row for row in links if row["person_id"] in sim.store.tables["persons"].rows)
        person_id, deal_id = link["person_id"], link["deal_id"]
        follower = {"id": 10_000, "item_type": "person", "item_id": person_id, "user_id": 1}
        sim.store.tables["followers"].load_generated([(follower, 1, 1)])
    api.request("DELETE", f"/api/v2/persons/{person_id}")
    sim.advance(30 * 86_400 + 1)
    assert api.get(f"/api/v2/persons/{person_id}").status_code == 404  # purged
    participants = api.get(f"/v1/deals/{deal_id}/participants")
    assert participants.status_code == 200, participants.text
    assert person_id not in {row["person"]["id"] for row in participants.json()["data"] or ()}
    counted = api.data(f"/api/v2/deals/{deal_id}", include_fields="participants_count")["participants_count"]
    assert counted == len(participants.json()["data"] or ())
    with sim.store.lock:
        assert not sim.store.follower_ids.get(("person", person_id))
