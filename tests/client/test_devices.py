"""The client's device methods against a served emulator: the registry, outcome rules, a
device's inbox, contacts."""

import pytest

from emulator.client import EmulatorError
from emulator.testing import RunningEmulator
from tests.support.demo import IOS_APP, MASTER_TABLE, WEB_APP
from tests.support.server import send_to


def test_the_registry_outcomes_and_a_devices_inbox_from_the_client(
    emulator: RunningEmulator,
) -> None:
    client = emulator.client
    # A web push subscription's endpoint is a URL: the client escapes it in the path.
    endpoint = "https://push.example.com/send/abc?x=1"
    [added] = client.add_devices(
        {"token": endpoint, "applicationId": WEB_APP, "contactKey": "c-001"}
    )
    assert added["outcome"] == "delivered"
    assert client.device(endpoint)["contactKey"] == "c-001"
    changed = client.update_device(endpoint, outcome="throttled", contact_key="c-002")
    assert (changed["outcome"], changed["contactKey"]) == ("throttled", "c-002")
    assert [d["token"] for d in client.devices(application_id=WEB_APP, contact_key="c-002")] == [
        endpoint
    ]
    [rule] = client.set_outcomes({"match": {"platform": "ios"}, "outcome": "providerError"})
    assert rule["fired"] == 0
    send_to(emulator, applicationIds=[WEB_APP, IOS_APP])
    [done] = client.wait_for_sends()
    deliveries = {d["token"]: d for d in client.send(done["trackingId"])["deliveries"]}
    assert (deliveries[endpoint]["outcome"], deliveries[endpoint]["reason"]) == (
        "throttled",
        "429 Too Many Requests",
    )
    assert client.outcomes()[0]["fired"] == 6
    [exported] = client.export()
    assert {d["outcome"] for d in exported["deliveries"]} == {
        "delivered",
        "throttled",
        "providerError",
    }
    assert [s["trackingId"] for s in client.sends(outcome="providerError")] == [done["trackingId"]]
    [shown] = client.device_inbox("web-ada-chrome")
    assert (shown["trackingId"], shown["title"]) == (done["trackingId"], "Hi")
    assert client.device_inbox(endpoint) == []  # throttled: it was never shown
    client.clear_outcomes()
    assert client.outcomes() == []
    assert client.delete_device(endpoint)["token"] == endpoint
    with pytest.raises(EmulatorError, match="HTTP 404: No device with token"):
        client.device(endpoint)


def test_contacts_from_the_client(emulator: RunningEmulator) -> None:
    client = emulator.client
    [added] = client.add_contacts(MASTER_TABLE, {"contactKey": "c-100", "first_name": "Zed"})
    assert added == {
        "tableId": MASTER_TABLE,
        "contactKey": "c-100",
        "fields": {"first_name": "Zed"},
    }
    changed = client.update_contact(MASTER_TABLE, "c-100", city="Izmir", first_name=None)
    assert changed["fields"] == {"city": "Izmir"}
    assert [c["contactKey"] for c in client.contacts(contact_key="c-100")] == ["c-100"]
    assert client.delete_contact(MASTER_TABLE, "c-100")["contactKey"] == "c-100"
    assert client.contacts(contact_key="c-100") == []
    with pytest.raises(EmulatorError, match="HTTP 409"):
        client.add_contacts(MASTER_TABLE, {"contactKey": "c-001"})


def test_an_unknown_keyword_is_a_type_error_before_any_call(emulator: RunningEmulator) -> None:
    with pytest.raises(TypeError, match=r"devices\(\) got an unknown filter 'platform'"):
        emulator.client.devices(platform="ios")
    with pytest.raises(TypeError, match=r"update_device\(\) got unknown change\(s\) device_type"):
        emulator.client.update_device("fcm-ada-pixel8", device_type="Watch")
