#!/usr/bin/env python3
"""A scripted hostile HTTP server for pushrun's end-to-end tests, on a free 127.0.0.1 port.

Usage: hostile_server.py MODE PORT_FILE LOG_FILE [CERT_FILE KEY_FILE]

Writes the port to PORT_FILE once listening, then answers every connection as MODE says. For
each request it has read (or, for modes that never read, accepted) it appends one line to
LOG_FILE: "<method> <path> <body bytes>". Mode "capture" answers 200 and also appends each
request's body, as received, to LOG_FILE.body. With CERT_FILE and KEY_FILE it speaks TLS.
Mode "stall-proxy:MS:PORT" is a slow gateway: it waits MS milliseconds on each request, then
passes it on to 127.0.0.1:PORT (a real Pushgateway) and the answer back. Runs until killed.
"""

import http.client
import os
import socket
import socketserver
import ssl
import sys
import time

MB = 1024 * 1024


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def content_length(head):
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    return 0


def read_request(conn):
    head, body = read_head(conn)
    if head is None:
        return None, None
    length = content_length(head)
    while len(body) < length:
        chunk = conn.recv(min(1 << 20, length - len(body)))
        if not chunk:
            break
        body += chunk
    return head, body


def log(head, body_bytes):
    parts = head.split("\r\n", 1)[0].split(" ")
    with open(LOG_FILE, "a") as out:
        out.write("%s %s %d\n" % (parts[0], parts[1] if len(parts) > 1 else "-", body_bytes))


def send_big_body(conn, status, reason, size):
    conn.sendall(("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                  % (status, reason, size)).encode())
    # Escape sequences and control bytes in it, as a terminal-hostile error page would have.
    block = (b"\x1b[31mred\x1b[0m \x07bell\r\n" * 4096)[:65536]
    sent = 0
    while sent < size:
        n = min(len(block), size - sent)
        conn.sendall(block[:n])
        sent += n


def hold(conn):
    """Keeps the connection open, silent, until the client goes away."""
    conn.settimeout(None)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def forward(conn, head, body, port):
    """Sends the request on to 127.0.0.1:PORT and its answer back, then closes."""
    lines = head.split("\r\n")
    method, target = lines[0].split(" ")[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() not in ("host", "connection", "content-length"):
            headers[name.strip()] = value.strip()
    upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    upstream.request(method, target, body=body, headers=headers)
    reply = upstream.getresponse()
    data = reply.read()
    upstream.close()
    conn.sendall(("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                  "Connection: close\r\n\r\n"
                  % (reply.status, reply.reason, reply.getheader("Content-Type", "text/plain"),
                     len(data))).encode() + data)


def serve(conn, mode):
    if mode == "never-read":
        log("ACCEPT -", 0)
        time.sleep(3600)
        return
    if mode == "early-400":
        head, _ = read_head(conn)
        if head is None:
            return
        log(head, 0)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: 22\r\nConnection: close\r\n\r\nrequest body too large")
        conn.shutdown(socket.SHUT_WR)
        # Drains what the client still sends, as a server does before closing, so that the
        # client gets the answer and not a reset.
        hold(conn)
        return
    head, body = read_request(conn)
    if head is None:
        return
    log(head, len(body))
    if mode == "capture":
        with open(LOG_FILE + ".body", "ab") as out:
            out.write(body)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    elif mode == "chunk-overflow":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"ffffffffffffffec\r\n" + b"x" * 4096)
        hold(conn)
    elif mode == "chunks-forever":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        while True:
            conn.sendall(chunk * 64)
    elif mode == "continue-then-200":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    elif mode == "processing-then-200":
        conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    elif mode == "folded-headers":
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\n\tthird\r\n"
                     b"Content-Length: 2\r\n\r\nok")
    elif mode == "no-length-close":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Connection: close\r\n\r\nstored")
        conn.shutdown(socket.SHUT_WR)
    elif mode == "http-1.0":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstored")
        conn.shutdown(socket.SHUT_WR)
    elif mode == "drip":
        reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000
        for byte in reply:
            conn.sendall(bytes([byte]))
            time.sleep(1)
    elif mode == "big-success":
        send_big_body(conn, 200, "OK", 100 * MB)
    elif mode == "big-error":
        send_big_body(conn, 400, "Bad Request", 100 * MB)
    elif mode == "bad-status":
        conn.sendall(b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n")
    elif mode == "random-bytes":
        conn.sendall(os.urandom(4096))
    elif mode == "never-answer":
        hold(conn)
    elif mode.startswith("stall-proxy:"):
        _, stall_ms, port = mode.split(":")
        time.sleep(int(stall_ms) / 1000)
        forward(conn, head, body, int(port))
    else:
        raise SystemExit("unknown mode " + mode)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            conn = self.request
            if TLS is not None:
                conn = TLS.wrap_socket(conn, server_side=True)
            serve(conn, MODE)
        except OSError:
            pass  # the client went away: what these modes expect


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    MODE, PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
    TLS = None
    if len(sys.argv) > 5:
        TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        TLS.load_cert_chain(sys.argv[4], sys.argv[5])
    open(LOG_FILE, "a").close()
    server = Server(("127.0.0.1", 0), Handler)
    with open(PORT_FILE + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()
