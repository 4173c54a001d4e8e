"""Behaviour that depends on the database underneath: the same requests must give the same
answers on SQLite, PostgreSQL and MariaDB (text round trips, sizes, case, concurrency)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Sdk2017
from test_flows import create_flow, flows_2017, list_2020, main_definition
from test_numbers import create_skill_group, numbers_2017


def test_four_byte_utf8_and_markup_round_trip(a2017, b2020, instance, m2020):
    name = "客服 🎧 <a&b> \"q\" 'x'"
    desc = "emoji 😀 and ünïcödé"
    content = main_definition("您好 😀 <speak>&amp;</speak>")
    created = create_flow(a2017, instance, name, description=desc, content=content)
    assert created["ContactFlowName"] == name
    listed = flows_2017(a2017, instance)[name]
    assert listed["ContactFlowDescription"] == desc
    [item] = list_2020(b2020, m2020, instance, search_pattern="🎧").list
    assert (item.name, item.description, item.definition) == (name, desc, content)


def test_large_flow_definition_round_trips(a2017, b2020, instance, m2020):
    """~300 KB of definition (MySQL TEXT would stop at 64 KiB), sent as a form body."""
    activities = [{"type": "INCOMING_CALL", "id": "start", "name": "start",
                   "events": [{"event": "complete", "next": "n0"}]}]
    for i in range(1500):
        activities.append({"type": "PLAY_SAY", "id": f"n{i}", "name": f"节点{i}",
                           "properties": {"say": "请稍候，" * 20},
                           "events": [{"event": "complete",
                                       "next": f"n{i + 1}" if i < 1499 else None}]})
    content = json.dumps({"activities": activities}, ensure_ascii=False)
    assert len(content.encode()) > 300_000
    created = create_flow(a2017, instance, "big", content=content)
    assert created["Versions"]["ContactFlowVersion"][0]["Content"] == content
    [item] = list_2020(b2020, m2020, instance, search_pattern="big").list
    assert item.definition == content


def test_flow_names_differing_only_in_case_are_distinct(a2017, instance):
    """Names are compared exactly, as on SQLite and PostgreSQL. On MariaDB/MySQL the default
    collation (utf8mb4_general_ci) compares case-insensitively, so CreateContactFlow 'ALPHA'
    after 'Alpha' gets 409 Conflict.ContactFlowName there only."""
    create_flow(a2017, instance, "Alpha")
    create_flow(a2017, instance, "ALPHA")
    assert {"Alpha", "ALPHA"} <= set(flows_2017(a2017, instance))


def test_sort_by_name_is_the_same_on_every_backend(a2017, b2020, instance, m2020):
    """2020 ListContactFlows OrderByField=name: code-point order ('B' < 'a'), as on SQLite
    and PostgreSQL (C collation). MariaDB's utf8mb4_general_ci sorts case-insensitively."""
    for name in ("beta", "Alpha", "Gamma"):
        create_flow(a2017, instance, name)
    data = list_2020(b2020, m2020, instance, order_by_field="name", sort_order="ASC",
                     search_pattern="a")
    assert [f.name for f in data.list] == ["Alpha", "Gamma", "beta"]


def test_concurrent_adds_of_one_number_bind_it_once(gateway, demo, instance, new_number):
    number = new_number()

    def attempt(_):
        sdk = Sdk2017(gateway.endpoint, demo.access_key_id, demo.access_key_secret)
        try:
            sdk.call("AddPhoneNumber", InstanceId=instance, PhoneNumber=number, Usage="Inbound")
            return "ok"
        except Exception as e:  # noqa: BLE001 - the SDK's ServerException
            return f"{e.get_http_status()} {e.get_error_code()}"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {"409 Conflict.PhoneNumber"}, results
    assert list(numbers_2017(demo.sdk2017(), instance)) == [number]


def _create_all(gateway, demo, instance, names):
    def create(name):
        sdk = Sdk2017(gateway.endpoint, demo.access_key_id, demo.access_key_secret)
        try:
            return create_flow(sdk, instance, name)["ContactFlowId"]
        except Exception as e:  # noqa: BLE001 - the SDK's ServerException
            return f"{e.get_http_status()} {e.get_error_code()}"

    with ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(create, names))


def test_concurrent_creation_of_different_flows(gateway, demo, instance):
    """Eight CreateContactFlow requests at once: all succeed, each with its own route point."""
    ids = _create_all(gateway, demo, instance, [f"parallel-{i}" for i in range(8)])
    assert all(len(i) == 36 for i in ids), ids
    sdk = demo.sdk2017()
    points = {sdk.call("GetRoutePoint", InstanceId=instance, ContactFlowId=i)["RoutePoint"]
              for i in ids}
    assert len(points) == 8
    assert len(flows_2017(sdk, instance)) == 1 + 8


def test_concurrent_creation_of_one_name(gateway, demo, instance):
    """Eight requests for one name: exactly one wins, the others get 409."""
    results = _create_all(gateway, demo, instance, ["same-name"] * 8)
    winners = [r for r in results if len(r) == 36]
    assert len(winners) == 1, results
    assert set(results) - set(winners) == {"409 Conflict.ContactFlowName"}, results
    assert len(flows_2017(demo.sdk2017(), instance)) == 1 + 1


def test_skill_group_ids_are_compared_exactly(a2017, instance, new_number):
    """PickGlobalOutboundNumbers for the upper-cased id of a skill group must not pick the
    numbers of that group (its id is a lower-case UUID)."""
    number = new_number("厦门")
    sales = create_skill_group(a2017, instance, "sales")
    a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=[number],
               Usage="Outbound", SkillGroupIds=[sales])
    assert sales.upper() != sales
    picked = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance,
                        CalleeNumber="059212345678", SkillGroupIds=[sales.upper()], Count=5)
    assert picked["DialNumberPairs"]["DialNumberPair"] == []
    picked = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance,
                        CalleeNumber="059212345678", SkillGroupIds=[sales], Count=5)
    assert [p["Caller"]["Number"] for p in picked["DialNumberPairs"]["DialNumberPair"]] == [number]
