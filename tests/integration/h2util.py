"""A frame-level HTTP/2 client for the tests, on Python's h2 library (Debian
python3-h2): h2c with prior knowledge, or h2 over TLS (ALPN). It keeps what
arrived per stream (headers, data, the end, a reset) and raw access to the
connection for sending what a well-behaved client would not."""
import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


class Stream:
    def __init__(self):
        self.headers = None
        self.data = b""
        self.ended = False
        self.reset = None      # the error code of a RST_STREAM from the server
        self.trailers = None

    @property
    def status(self):
        return int(dict(self.headers)[":status"]) if self.headers else None

    def header(self, name):
        for k, v in self.headers or ():
            if k == name:
                return v
        return None


class H2Client:
    def __init__(self, port, tls_ctx=None, settings=None, timeout=5.0, sni="localhost", preface=True):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls_ctx is not None:
            raw = tls_ctx.wrap_socket(raw, server_hostname=sni)
            assert raw.selected_alpn_protocol() == "h2", raw.selected_alpn_protocol()
        self.sock = raw
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_inbound_headers=False, validate_outbound_headers=False,
                                        normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.streams = {}
        self.goaway = None
        self.closed = False
        self.settings_acked = False
        self.remote_settings = {}
        if preface:
            self.conn.initiate_connection()
            if settings:
                self.conn.update_settings(settings)
            self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, path="/", method="GET", headers=(), body=None, end=True, authority="localhost",
                scheme="http"):
        sid = self.conn.get_next_available_stream_id()
        hs = [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)]
        hs += list(headers)
        self.conn.send_headers(sid, hs, end_stream=end and body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end)
        self.streams[sid] = Stream()
        self.flush()
        return sid

    def reset(self, sid, code=8):
        self.conn.reset_stream(sid, error_code=code)
        self.flush()

    def _handle(self, ev):
        st = self.streams.setdefault(getattr(ev, "stream_id", 0), Stream()) if hasattr(ev, "stream_id") else None
        if isinstance(ev, h2.events.ResponseReceived):
            st.headers = ev.headers
        elif isinstance(ev, h2.events.TrailersReceived):
            st.trailers = ev.headers
        elif isinstance(ev, h2.events.DataReceived):
            st.data += ev.data
            if ev.flow_controlled_length and self.auto_ack:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            st.ended = True
        elif isinstance(ev, h2.events.StreamReset):
            st.reset = ev.error_code
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev
        elif isinstance(ev, h2.events.SettingsAcknowledged):
            self.settings_acked = True
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                self.remote_settings[k] = v.new_value

    auto_ack = True

    def pump(self, until, timeout=3.0):
        """Reads until until(self) is true, the connection closes, or timeout."""
        deadline = time.time() + timeout
        while not until(self):
            left = deadline - time.time()
            if left <= 0 or self.closed:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except (ConnectionResetError, ssl.SSLError, OSError):
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            try:
                for ev in self.conn.receive_data(data):
                    self._handle(ev)
            except h2.exceptions.ProtocolError:
                self.closed = True
                break
            self.flush()
        return until(self)

    def wait(self, sid, timeout=3.0):
        self.pump(lambda c: c.streams[sid].ended or c.streams[sid].reset is not None, timeout)
        return self.streams[sid]

    def get(self, path="/", **kw):
        timeout = kw.pop("timeout", 3.0)
        return self.wait(self.request(path, **kw), timeout)

    def read_closed(self, timeout=3.0):
        """Reads until the server closes the connection; True if it did."""
        self.pump(lambda c: c.closed, timeout)
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def frame(ftype, flags, sid, payload=b""):
    """A raw HTTP/2 frame."""
    n = len(payload)
    return bytes([n >> 16 & 255, n >> 8 & 255, n & 255, ftype, flags]) + sid.to_bytes(4, "big") + payload


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
