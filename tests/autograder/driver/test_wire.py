"""What crosses the sandbox wall: every allowed kind survives the trip
exactly; anything else crosses as its type's name; malformed or oversized
data is refused with a WireError, never a crash or a huge allocation."""
from __future__ import annotations

import json
import math
from collections import namedtuple

import numpy as np
import pytest

from autograder.driver import wire

State = namedtuple("State", "t m")


def roundtrip(value):
    return wire.decode(json.loads(wire.dumps(wire.encode(value))[8:]))


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**62, 1.5, -0.0, "text", "",
                                   [1, 2.0, "a"], {"a": 1, 3: [None]}, (1, (2, 3))])
def test_plain_values_survive_exactly(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_non_finite_floats_survive():
    got = roundtrip([math.inf, -math.inf, math.nan])
    assert got[0] == math.inf and got[1] == -math.inf and math.isnan(got[2])


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int8", "uint16",
                                   "bool", "complex128"])
def test_arrays_keep_dtype_shape_and_bits(dtype):
    a = (np.arange(24).reshape(2, 3, 4) * 1.25).astype(dtype)
    got = roundtrip(a)
    assert got.dtype == a.dtype and got.shape == a.shape and got.tobytes() == a.tobytes()
    assert got.flags.writeable


def test_numpy_scalars_and_zero_dim_arrays_stay_what_they_were():
    s, z = roundtrip(np.float32(0.1)), roundtrip(np.array(2.5))
    assert type(s) is np.float32 and s == np.float32(0.1)
    assert isinstance(z, np.ndarray) and z.shape == () and z == 2.5


def test_named_tuples_keep_their_fields():
    got = roundtrip(State(3, np.ones(2)))
    assert got._fields == ("t", "m") and type(got).__name__ == "State" and got.t == 3


def test_a_hostile_type_name_is_never_executed():
    data = {"$tuple": [1], "fields": ["x"], "name": "__import__('os').system('x')"}
    got = wire.decode(data)
    assert type(got).__name__ == "Record" and got.x == 1


def test_other_objects_cross_as_their_type_name():
    class Tensor:
        pass
    got = roundtrip([Tensor(), np.array(["a"], dtype=object), {(1, 2): 3}, 2**70])
    assert [type(g) for g in got] == [wire.Opaque] * 4
    assert got[0].type_name == "Tensor" and "object" in got[1].type_name


def test_subclasses_cross_as_their_base_value():
    class Sneaky(float):
        def __repr__(self):
            raise RuntimeError("never called")
    assert roundtrip(Sneaky(2.0)) == 2.0


def test_random_generators_cross_with_their_state():
    g = np.random.default_rng(3)
    g.random(5)
    h = roundtrip(g)
    assert h.random() == g.random()
    assert wire.generators_in([1, {"a": g}, (h,)]) == [g, h]


@pytest.mark.parametrize("bad", [
    {"$nd": "<f8", "shape": [3], "b": "AAAA"},             # 3 bytes for 24
    {"$nd": "|O", "shape": [1], "b": "AAAAAAAAAAA="},     # object dtype
    {"$nd": "<f8", "shape": [-1], "b": ""},
    {"$nd": "<f8", "shape": [10**9, 10**9], "b": ""},
    {"$float": "1e308"}, {"$dict": [[1, 2, 3]]}, {"$unknown": 1}, {},
    {"$rng": "PCG64", "state": {"$int": "x"}}, {"$rng": "Evil", "state": {}},
])
def test_malformed_data_is_refused(bad):
    with pytest.raises(wire.WireError):
        wire.decode(bad)


def test_depth_and_size_are_bounded():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.decode(json.loads(json.dumps(deep)))
    with pytest.raises(wire.WireError):
        wire.encode(np.zeros(wire.MAX_FRAME // 8 + 1))


def test_frames_over_the_cap_are_refused_before_reading(tmp_path):
    import os
    r, w = os.pipe()
    os.write(w, (10**12).to_bytes(8, "big"))
    with pytest.raises(wire.WireError, match="at most"):
        wire.read(r)
    os.write(w, wire.dumps({"ok": 1}))
    os.close(w)
    r2, w2 = os.pipe()
    os.write(w2, wire.dumps({"ok": 1}))
    os.close(w2)
    assert wire.read(r2) == {"ok": 1}
    with pytest.raises(EOFError):
        wire.read(r2)
