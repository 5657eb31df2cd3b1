"""A tiny WebSocket server (RFC 6455) for test_websocket.py: the handshake
with Sec-WebSocket-Accept, frames both ways. What it does after the
handshake depends on the path:

  /echo      echoes every data frame; answers a Close with a Close, then closes
  /bye       sends a text frame "bye", then closes the TCP connection itself
  /silent    sends nothing and waits for the client to close
  /noread    reads nothing at all for 20 s (a stuck application)
  /push?n=N  sends one binary message of N bytes, writing "progress" events
             as it goes (a blocked send shows as no progress), then echoes
  /early     sends the 101 and a first text frame "early" in one write, then echoes
  /force101  answers 101 even to a request without Upgrade
  /reject    answers 426 with a small body (no upgrade)

Usage: ws_backend.py PORT EVENTS_FILE [CERT KEY] (with a certificate: over TLS). Events are JSON lines: listening,
request (path, headers), closed (how).
"""
import base64
import hashlib
import json
import socketserver
import ssl
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"
LOCK = threading.Lock()


def event(path, **kw):
    with LOCK, open(path, "a") as f:
        f.write(json.dumps(kw) + "\n")


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(opcode, payload, mask=None):
    """A frame (FIN set); masked with the 4-byte key when given (a client's)."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + payload
    return head + payload


def recv_exact(sock, n, buf):
    while len(buf) < n:
        b = sock.recv(65536)
        if not b:
            raise EOFError
        buf += b
    out = bytes(buf[:n])
    del buf[:n]
    return out


def read_frame(sock, buf):
    """(opcode, payload) of the next frame, unmasked."""
    b0, b1 = recv_exact(sock, 2, buf)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(sock, 2, buf))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(sock, 8, buf))[0]
    mask = recv_exact(sock, 4, buf) if b1 & 0x80 else None
    data = recv_exact(sock, n, buf)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, data


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock, ev = self.request, self.server.events_path
        if self.server.tls:
            sock = self.server.tls.wrap_socket(sock, server_side=True)
        buf = bytearray()
        while b"\r\n\r\n" not in buf:
            b = sock.recv(65536)
            if not b:
                return
            buf += b
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split()[1]
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        event(ev, ev="request", target=target, headers=headers, conn=self.client_address[1])
        path, _, query = target.partition("?")
        path = "/" + path.rsplit("/", 1)[1]  # /chat/echo is /echo
        if path == "/reject" or (path != "/force101" and "upgrade" not in headers):
            body = b"upgrade required\n"
            sock.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body) + body)
            return
        resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: %s\r\nX-Backend: ws\r\n\r\n"
                % accept_key(headers.get("sec-websocket-key", ""))).encode()
        if path == "/early":
            resp += frame(1, b"early")
        sock.sendall(resp)
        try:
            self.after(sock, buf, path, query, ev)
        except (EOFError, ConnectionError, OSError) as e:
            event(ev, ev="closed", how=type(e).__name__)

    def after(self, sock, buf, path, query, ev):
        if path == "/bye":
            sock.sendall(frame(1, b"bye"))
            time.sleep(0.05)
            sock.close()
            event(ev, ev="closed", how="server")
            return
        if path == "/noread":
            time.sleep(20)
            return
        if path == "/silent":
            while sock.recv(65536):
                pass
            event(ev, ev="closed", how="client")
            return
        if path == "/push":
            self.push(sock, int(query.split("=")[1]), ev)
        self.echo(sock, buf, ev)

    def push(self, sock, n, ev):
        step = 256 * 1024
        head = frame(2, b"")[:1] + bytes([127]) + struct.pack("!Q", n)
        sock.sendall(head)
        sent = 0
        chunk = bytes(range(256)) * (step // 256)
        while sent < n:
            part = chunk[: min(step, n - sent)]
            sock.sendall(part)
            sent += len(part)
            event(ev, ev="progress", sent=sent, t=time.time())

    def echo(self, sock, buf, ev):
        while True:
            op, data = read_frame(sock, buf)
            if op == 8:
                sock.sendall(frame(8, data))
                sock.close()
                event(ev, ev="closed", how="close_frame")
                return
            if op == 9:
                sock.sendall(frame(10, data))
                continue
            sock.sendall(frame(op, data))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    port, events_path = int(sys.argv[1]), sys.argv[2]
    srv = Server(("127.0.0.1", port), Handler)
    srv.events_path = events_path
    srv.tls = None
    if len(sys.argv) > 4:
        srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.tls.load_cert_chain(sys.argv[3], sys.argv[4])
    event(events_path, ev="listening")
    srv.serve_forever()


if __name__ == "__main__":
    main()
