"""A tiny DNS responder on loopback UDP for the resolver tests, run as a
thread of the test: names map to behaviours, and every query is counted.

    dns = DnsServer({"app.test": ("A", ["127.0.0.1"], 60)})
    dns.port; dns.queries("app.test"); dns.set("app.test", "nxdomain"); dns.stop()

Behaviours: ("A", [ips], ttl); ("CNAME", target) (only the CNAME record); "nxdomain"; "servfail"; "drop" (no answer);
"garbage" (the query's id, then bytes that are no DNS message); "loop" (an
answer whose name is a compression pointer to itself). AAAA questions get
an empty NOERROR answer."""
import socket
import struct
import threading


def qname(data, off):
    labels = []
    while data[off]:
        n = data[off]
        labels.append(data[off + 1:off + 1 + n].decode())
        off += 1 + n
    return ".".join(labels), off + 1


class DnsServer:
    def __init__(self, names):
        self.names = dict(names)
        self.counts = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def set(self, name, behaviour):
        self.names[name] = behaviour

    def queries(self, name, qtype=1):
        return self.counts.get((name, qtype), 0)

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            reply = self.answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def answer(self, data):
        qid, flags = struct.unpack("!HH", data[:4])
        name, off = qname(data, 12)
        qtype = struct.unpack("!H", data[off:off + 2])[0]
        question = data[12:off + 4]
        self.counts[(name, qtype)] = self.counts.get((name, qtype), 0) + 1
        b = self.names.get(name, "nxdomain")
        if b == "drop":
            return None
        if b == "garbage":
            return struct.pack("!H", qid) + b"\xff" * 9
        rcode = {"nxdomain": 3, "servfail": 2}.get(b, 0) if isinstance(b, str) else 0
        answers = []
        if b == "loop":
            answers.append(struct.pack("!H", 0xC000 | (12 + len(question))) +
                           struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1"))
        elif isinstance(b, tuple) and b[0] == "CNAME":
            target = b"".join(bytes([len(l)]) + l.encode() for l in b[1].split(".")) + b"\0"
            answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(target)) + target)
        elif isinstance(b, tuple) and qtype == 1:
            _, ips, ttl = b
            for ip in ips:
                answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(ip))
        head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
        return head + question + b"".join(answers)
