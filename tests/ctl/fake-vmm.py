#!/usr/bin/env python3
"""A stand-in for passthru-vmm's control socket, for passthru-ctl's tests.

fake-vmm.py MODE SOCKET PIDFILE NAME READY
  serve: lock PIDFILE (flock, as the VMM does) and write our pid, answer status
         (as VM NAME), routes and stop on SOCKET; stop or SIGTERM ends it.
  stuck: lock PIDFILE, listen on SOCKET but never accept, and fill the listen
         backlog ourselves: a VMM that stopped accepting (SIGSTOP'd).
PIDFILE "-" takes no pidfile. READY is created once the socket is set up.
"""
import fcntl
import json
import os
import signal
import socket
import sys
import time

mode, sock_path, pidfile, name, ready = sys.argv[1:6]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
lock = None
if pidfile != "-":
    lock = open(pidfile, "a+")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    lock.truncate(0)
    lock.write("%d\n" % os.getpid())
    lock.flush()

if os.path.exists(sock_path):
    os.unlink(sock_path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)


def answer(line):
    req = json.loads(line)
    verb = req.get("execute")
    if verb == "status":
        return {"return": {"name": name, "state": "running", "pid": os.getpid(), "vcpus": 1,
                           "memory": 33554432, "irqchip": "kernel", "uptime": 1.0,
                           "console": {"kind": "none"}}}
    if verb == "routes":
        return {"return": {"irqchip": "kernel", "entries": 0, "max_entries": 4096,
                           "msi_routes": 0, "irqfds": 0, "commits": 0, "dirty": False,
                           "routes": [], "served_by": name}}
    if verb == "stop":
        return {"return": {}}
    return {"error": {"class": "CommandNotFound", "desc": verb}}


try:
    if mode == "stuck":
        srv.listen(0)
        fillers = []
        # Connect until the kernel refuses: the backlog is then full.
        while True:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(sock_path)
            except BlockingIOError:
                c.close()
                break
            fillers.append(c)
        open(ready, "w").close()
        while True:
            time.sleep(1)
    srv.listen(8)
    open(ready, "w").close()
    while True:
        conn, _ = srv.accept()
        with conn:
            buf = b""
            stop = False
            while not stop:
                data = conn.recv(4096)
                if not data:
                    break
                buf += data
                while b"\n" in buf and not stop:
                    line, buf = buf.split(b"\n", 1)
                    reply = answer(line)
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                    stop = "return" in reply and line.find(b'"stop"') >= 0
            if stop:
                break
finally:
    os.unlink(sock_path)
    if lock:
        os.unlink(pidfile)
