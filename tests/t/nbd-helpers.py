#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of tests/t/t2200-nbd.sh:
#   nbd-helpers.py port                      a free TCP port on 127.0.0.1
#   nbd-helpers.py http PORT DIR             an HTTP server with byte ranges (what
#                                            nbdkit's curl plugin needs; http.server has none)
#   nbd-helpers.py check DEV WANT [SECONDS]  read DEV 4 KiB at a time (for SECONDS, looping,
#                                            if given) against WANT; prints
#                                            "eio N wrong N passes N" and the EIO blocks
import http.server
import os
import socket
import sys
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        try:
            f = open(path, "rb")
        except OSError:
            self.send_error(404)
            return None
        size = os.fstat(f.fileno()).st_size
        rng = self.headers.get("Range")
        start, end = 0, size - 1
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a) if a else 0
            end = min(int(b), size - 1) if b else size - 1
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        f.seek(start)
        self._left = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        while self._left > 0:
            buf = source.read(min(self._left, 1 << 16))
            if not buf:
                break
            outputfile.write(buf)
            self._left -= len(buf)


def http_serve(port, directory):
    os.chdir(directory)
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), RangeHandler)
    srv.serve_forever()


def check(dev, want_path, seconds=None):
    want = open(want_path, "rb").read()
    fd = os.open(dev, os.O_RDONLY)
    eio, wrong, passes, bad = 0, 0, 0, set()
    end = time.monotonic() + float(seconds) if seconds else None
    while True:
        for off in range(0, len(want), 4096):
            try:
                got = os.pread(fd, 4096, off)
                if got != want[off:off + 4096]:
                    wrong += 1
            except OSError as e:
                if e.errno != 5:
                    raise
                eio += 1
                bad.add(off // 4096)
        passes += 1
        if end is None or time.monotonic() >= end:
            break
    print("eio", eio, "wrong", wrong, "passes", passes)
    print("blocks", " ".join(str(b) for b in sorted(bad)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "port":
        free_port()
    elif cmd == "http":
        http_serve(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        check(*sys.argv[2:])
    else:
        sys.exit("unknown command " + cmd)
