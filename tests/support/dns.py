"""A real DNS server on 127.0.0.1 (dnslib) that answers TXT queries from a dictionary."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


@dataclass
class Zone(BaseResolver):
    """TXT records by name (without the final dot); every question is remembered."""

    records: dict[str, list[str]] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self.lock:
            self.questions.append(name)
        texts = self.records.get(name)
        if texts is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.TXT:
            for text in texts:  # long values as several strings of at most 255 bytes
                data = text.encode()
                chunks = [data[i : i + 255] for i in range(0, len(data), 255)]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        return reply


class LoopbackDns:
    """dnslib's UDP server on a free port of 127.0.0.1."""

    def __init__(self, zone: Zone) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.zone = zone
        self.server = DNSServer(
            zone, address="127.0.0.1", port=self.port, logger=DNSLogger(logf=lambda line: None)
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LoopbackDns:
        self.server.start_thread()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()
