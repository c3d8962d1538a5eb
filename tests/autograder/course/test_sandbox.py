"""The sandbox student code runs in, probed from inside: what it can see,
reach and use, and that nothing it starts outlives it."""
from __future__ import annotations

import json
import os
import time

import pytest

from autograder.course.channel import Channel, ChannelError
from autograder.course.sandbox import Limits, Sandbox, leftovers, probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
os.environ.setdefault("COURSE_TEST_SECRET", "a-grader-secret")


def inside(code: str, limits: Limits = Limits(memory_mb=1024, processes=32)) -> dict:
    """Run ``code`` in a sandbox; it sets ``out`` (a dict), which comes back as JSON."""
    r, w = os.pipe()
    program = (f"import json, os, sys\nout = {{}}\n{code}\n"
               "os.write(int(sys.argv[1]), json.dumps(out).encode())")
    process = Sandbox(limits).python(program, str(w), pass_fds=(w,))
    os.close(w)
    try:
        process.popen.wait(timeout=120)
        data = b""
        while chunk := os.read(r, 1 << 16):
            data += chunk
    finally:
        process.kill()
        os.close(r)
    return json.loads(data or b"{}")


def test_bubblewrap_runs_here():
    assert probe() is None, probe()


def test_it_sees_no_course_no_home_and_no_secrets():
    out = inside(f"out['listing'] = sorted(os.listdir('/'))\n"
                 f"out['course'] = os.path.exists({ROOT!r})\n"
                 "out['env'] = dict(os.environ)\n"
                 "out['uid'] = os.getuid()\n"
                 "try:\n    import autograder.judge\n    out['judge'] = True\n"
                 "except ImportError:\n    out['judge'] = False\n"
                 "try:\n    import solutions\n    out['solutions'] = True\n"
                 "except ImportError:\n    out['solutions'] = False\n")
    assert not out["course"] and not out["judge"] and not out["solutions"]
    assert "home" not in out["listing"] and "etc" not in out["listing"]
    assert "COURSE_TEST_SECRET" not in out["env"] and out["env"]["HOME"] == "/scratch"
    if os.geteuid() == 0:
        assert out["uid"] >= 61000


def test_it_has_no_network_and_a_read_only_system():
    out = inside("import socket\n"
                 "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
                 "    out['net'] = True\nexcept OSError:\n    out['net'] = False\n"
                 "for path in ('/usr/lib/x', '/opt/course/lib/x', '/tmp/x', '/scratch/x'):\n"
                 "    try:\n        open(path, 'w').write('x')\n        out[path] = True\n"
                 "    except OSError:\n        out[path] = False\n")
    assert out == {"net": False, "/usr/lib/x": False, "/opt/course/lib/x": False,
                   "/tmp/x": True, "/scratch/x": True}


def test_memory_processes_and_file_size_are_capped():
    out = inside("try:\n    b = bytearray(3 * 2**30)\n    out['memory'] = True\n"
                 "except MemoryError:\n    out['memory'] = False\n"
                 "kids = 0\n"
                 "for _ in range(200):\n"
                 "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
                 "    if pid == 0:\n        import time; time.sleep(60); os._exit(0)\n"
                 "    kids += 1\n"
                 "out['kids'] = kids\n"
                 "try:\n    open('/scratch/big', 'wb').write(b'x' * (80 << 20))\n"
                 "    out['file'] = True\nexcept OSError:\n    out['file'] = False\n",
                 Limits(memory_mb=1024, processes=32, file_mb=16))
    assert out["memory"] is False and out["file"] is False
    assert 0 < out["kids"] < 32, out["kids"]
    time.sleep(0.5)
    assert not leftovers(), leftovers()


def test_nothing_it_starts_outlives_it():
    inside("import subprocess\n"
           "subprocess.Popen(['sleep', '31337'], start_new_session=True)\n"
           "if os.fork() == 0:\n    os.setsid()\n    import time; time.sleep(100)\n")
    time.sleep(0.5)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            assert b"31337" not in cmd
    assert not leftovers()


def test_a_channel_says_why_a_stream_stopped():
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    channel = Channel(w1, r2, frame_cap=100)
    with pytest.raises(ChannelError) as err:
        channel.recv(time.monotonic() + 0.2)
    assert err.value.kind == "timeout"
    os.write(w2, (500).to_bytes(8, "big"))
    with pytest.raises(ChannelError) as err:
        channel.recv(time.monotonic() + 1)
    assert err.value.kind == "corrupt" and "500 bytes" in str(err.value)
    channel2 = Channel(os.pipe()[1], r1)
    os.write(w1, (3).to_bytes(8, "big") + b"[1]")
    with pytest.raises(ChannelError, match="not an object"):
        channel2.recv(time.monotonic() + 1)
    os.close(w1)
    with pytest.raises(ChannelError) as err:
        channel2.recv(time.monotonic() + 1)
    assert err.value.kind == "closed"
