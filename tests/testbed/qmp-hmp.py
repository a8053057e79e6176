#!/usr/bin/env python3
"""qmp-hmp.py SOCKET COMMAND...: runs human-monitor commands (e.g. "info registers")
through a testbed's QMP socket (testbed-run --qmp) and prints their output."""
import json
import socket
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: qmp-hmp.py SOCKET COMMAND...")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    f.flush()
    json.loads(f.readline())
    for cmd in sys.argv[2:]:
        f.write(json.dumps({"execute": "human-monitor-command",
                            "arguments": {"command-line": cmd}}) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "return" in reply or "error" in reply:
                break
        print("== " + cmd)
        print(reply.get("return", reply.get("error")))


main()
