"""The loopback recorder and the other places `publisher.testing` gives channel tests."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request

import pytest
from sqlalchemy import inspect

from publisher.state import State
from publisher.testing import NetworkUsed, Recorder, network_blocked


def post(url: str, body: bytes, kind: str = "application/json", timeout: float = 5) -> tuple:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", kind)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, dict(response.headers), json.load(response)


def test_it_keeps_every_request_and_takes_what_is_sent(recorder: Recorder) -> None:
    status, headers, answer = post(f"{recorder.url}/hook?a=1&b=2", b'{"text": "\\u6771 /x"}')
    assert status == 201
    assert answer == {"id": "1", "url": f"{recorder.url}/received/1"}
    assert headers["Location"] == f"{recorder.url}/received/1"
    with pytest.raises(urllib.error.HTTPError) as read:
        urllib.request.urlopen(f"{recorder.url}/received/1", timeout=5)
    assert read.value.code == 404  # it keeps nothing to read back
    first, second = recorder.requests
    assert (first.method, first.path, first.query) == ("POST", "/hook", {"a": "1", "b": "2"})
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {"text": "東 /x"}
    assert first.text == "東 /x"
    assert (second.method, second.status) == ("GET", 404)
    assert recorder.accepted == [first]


def test_form_and_plain_bodies_read_as_text(recorder: Recorder) -> None:
    post(recorder.url, b"status=Hello+there&visibility=public", "application/x-www-form-urlencoded")
    post(recorder.url, "naïve text".encode(), "text/plain")
    assert [request.text for request in recorder.requests] == ["Hello there\npublic", "naïve text"]


def test_chosen_answers_come_first_then_the_usual_one(recorder: Recorder) -> None:
    recorder.answer(503, {"error": "busy"}, {"Retry-After": "3"}, times=2)
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as refused:
            post(recorder.url, b"{}")
        assert refused.value.code == 503
        assert refused.value.headers["Retry-After"] == "3"
        assert json.load(refused.value) == {"error": "busy"}
    assert post(recorder.url, b"{}")[2]["id"] == "1"  # ids count what was taken
    assert [request.status for request in recorder.requests] == [503, 503, 201]


def test_a_dropped_request_gets_no_answer_and_is_not_taken(recorder: Recorder) -> None:
    recorder.drop()
    with pytest.raises(http.client.RemoteDisconnected):
        post(recorder.url, b'{"n": 1}')
    [dropped] = recorder.requests
    assert (dropped.status, dropped.answered) == (None, False)
    assert recorder.accepted == []


def test_a_lost_answer_is_taken_but_the_client_cannot_know(recorder: Recorder) -> None:
    recorder.lose_answer()
    with pytest.raises(http.client.RemoteDisconnected):
        post(recorder.url, b'{"n": 1}')
    assert post(recorder.url, b'{"n": 2}')[2]["id"] == "2"
    lost, taken = recorder.requests
    assert (lost.status, lost.answered, taken.answered) == (201, False, True)
    assert recorder.accepted == [lost, taken]


def test_a_stalled_request_is_held_until_released(recorder: Recorder) -> None:
    recorder.stall()
    with pytest.raises(TimeoutError):
        post(recorder.url, b"{}", timeout=0.3)
    assert recorder.stalled.is_set()
    recorder.release()
    assert post(recorder.url, b"{}")[0] == 201


def test_a_chunked_body_is_read_whole(recorder: Recorder) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(recorder.url.rsplit(":", 1)[1]))
    connection.request(
        "POST", "/c", body=iter([b'{"a": ', b'"b"}']), headers={"Content-Type": "application/json"}
    )
    assert connection.getresponse().status == 201
    connection.close()
    assert recorder.requests[0].json() == {"a": "b"}


def test_a_body_larger_than_the_limit_is_refused_unread(recorder: Recorder) -> None:
    with socket.create_connection(("127.0.0.1", int(recorder.url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nabc")
        answer = raw.recv(200)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert recorder.requests[0].body == b""


def test_network_blocked_refuses_connections_and_lookups_and_says_what_was_tried(
    recorder: Recorder,
) -> None:
    with network_blocked() as tried:
        with pytest.raises(NetworkUsed):
            socket.create_connection(("127.0.0.1", 9))
        with pytest.raises(OSError):  # NetworkUsed is what a machine without a network raises
            urllib.request.urlopen(recorder.url, timeout=1)
    assert len(tried) == 2
    assert all(attempt.startswith("getaddrinfo ('127.0.0.1'") for attempt in tried)
    assert post(recorder.url, b"{}")[0] == 201  # and the network is back afterwards


def test_the_state_fixture_is_a_database_already_upgraded(state: State) -> None:
    tables = set(inspect(state.engine).get_table_names())
    assert {"publications", "deliveries", "cache", "alembic_version_core"} <= tables
    assert "core" in [change.history for change in state.upgraded]
    assert State(state.url, state.histories).upgrade() == []  # at the head: nothing left to do
