"""Plain data across the sandbox wall: values in, values out, never pickles.

Both sides import this module. The driver, beside student code, encodes
the inputs it was given back into values and what the student's functions
returned into data; the judge, in a process student code cannot reach,
decodes that data and nothing else. Only these kinds cross:

- None, bool, int (up to 64 bits), float (nan and inf included), str;
- numpy scalars and arrays of bool, integer, float or complex dtype;
- tuples (a NamedTuple keeps its type name and field names), lists, and
  dicts whose keys are str or int;
- numpy random Generators, as their bit generator's state (so a function
  of another part that the grader computes can draw from the student's
  generator and hand it back advanced).

Anything else crosses as ``Opaque("its type name")``, so the judge can say
"your dW should be a numpy array, got Foo" without ever holding a Foo.

A frame is an 8-byte big-endian length, then that many bytes of UTF-8
JSON. A reader refuses a frame longer than its cap before reading it, and
the decoder bounds nesting and the number of values, so no submission can
make the judge hold more than a few caps' worth of memory.
"""
from __future__ import annotations

import base64
import json
import keyword
import os
import struct
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_FRAME = 64 * 2**20      # bytes of one message
MAX_DEPTH = 24              # nesting of tuples, lists and dicts
MAX_VALUES = 200_000        # values of all kinds in one message
MAX_STR = 20_000            # characters of one string
_KINDS = "biufc"            # bool, signed, unsigned, float, complex
_HEADER = struct.Struct(">Q")


class WireError(ValueError):
    """Data that cannot cross: too large, too deep, or not well formed."""


@dataclass(frozen=True)
class Opaque:
    """Stands for a value that cannot cross: only its type's name does."""
    type_name: str

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


# ---------------------------------------------------------------- encoding

def encode(value: Any) -> Any:
    """``value`` as JSON-ready data (see the module docstring)."""
    budget = [MAX_VALUES]
    return _enc(value, 0, budget)


def _enc(x: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"more than {MAX_VALUES} values")
    if depth > MAX_DEPTH:
        raise WireError(f"nested more than {MAX_DEPTH} levels deep")
    if x is None or type(x) is bool:
        return x
    if isinstance(x, bool):
        return bool(x)
    if isinstance(x, int) and not isinstance(x, np.generic):
        x = int.__index__(x)
        if x.bit_length() > 63:
            return {"$opaque": "int too large for 64 bits"}
        return x
    if isinstance(x, float) and not isinstance(x, np.generic):
        x = float.__float__(x)
        return x if np.isfinite(x) else {"$float": repr(x)}
    if isinstance(x, str):
        x = str.__str__(x)
        if len(x) > MAX_STR:
            return {"$opaque": f"str of {len(x)} characters"}
        return x
    if isinstance(x, np.ndarray):
        return _enc_array(x, "$nd")
    if isinstance(x, np.generic):
        return _enc_array(np.asarray(x), "$np")
    if isinstance(x, tuple):
        items = [_enc(v, depth + 1, budget) for v in tuple.__iter__(x)]
        out = {"$tuple": items}
        fields = getattr(type(x), "_fields", None)
        if isinstance(fields, tuple) and all(isinstance(f, str) for f in fields) \
                and len(fields) == len(items):
            out["fields"] = [str(f)[:100] for f in fields]
            out["name"] = type(x).__name__[:100]
        return out
    if isinstance(x, list):
        return [_enc(v, depth + 1, budget) for v in list.__iter__(x)]
    if isinstance(x, np.random.Generator):
        bits = x.bit_generator
        if type(bits).__name__ not in _BIT_GENERATORS:
            return {"$opaque": f"Generator of {type(bits).__name__}"}
        return {"$rng": type(bits).__name__, "state": _state(bits.state)}
    if isinstance(x, dict):
        pairs = []
        for k, v in dict.items(x):
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                return {"$opaque": f"dict with a {type(k).__name__} key"}
            pairs.append([_enc(k, depth + 1, budget), _enc(v, depth + 1, budget)])
        return {"$dict": pairs}
    return {"$opaque": type(x).__name__[:100]}


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _state(value: Any) -> Any:
    """A bit generator's state as JSON: dicts, str, ints (any size), arrays."""
    if isinstance(value, dict):
        return {str(k): _state(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"$nd_list": value.dtype.str, "v": value.tolist()}
    if isinstance(value, (int, np.integer)):
        return {"$int": str(int(value))}
    return value


def _unstate(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        raise WireError("a generator state nested too deep")
    if isinstance(value, dict) and "$int" in value:
        text = str(value["$int"])
        if len(text) > 200 or not text.lstrip("-").isdigit():
            raise WireError("a generator state with a malformed integer")
        return int(text)
    if isinstance(value, dict) and "$nd_list" in value:
        v = value.get("v")
        if not isinstance(v, list) or len(v) > 10_000:
            raise WireError("a generator state with a malformed array")
        return np.array(v, dtype=np.dtype(value["$nd_list"]))
    if isinstance(value, dict):
        return {str(k): _unstate(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (str, float)) or value is None:
        return value
    raise WireError("a generator state of an unexpected form")


def generator(data: dict) -> np.random.Generator:
    """The Generator that ``{"$rng": name, "state": ...}`` describes."""
    name = data.get("$rng")
    if name not in _BIT_GENERATORS:
        raise WireError(f"a generator of unknown kind {name!r}")
    bits = getattr(np.random, name)()
    try:
        bits.state = _unstate(data.get("state"))
    except (TypeError, ValueError, KeyError) as err:
        raise WireError(f"a generator state that does not fit {name} ({err})") from None
    return np.random.Generator(bits)


def generators_in(value: Any, depth: int = 0) -> list[np.random.Generator]:
    """The Generators inside arguments, in a fixed order (both sides of a
    served call walk the same arguments the same way)."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, np.random.Generator):
        return [value]
    if isinstance(value, dict):
        return [g for v in value.values() for g in generators_in(v, depth + 1)]
    if isinstance(value, (list, tuple)):
        return [g for v in value for g in generators_in(v, depth + 1)]
    return []


def _enc_array(a: np.ndarray, tag: str) -> dict:
    a = np.asarray(a)
    if a.dtype.kind not in _KINDS or a.dtype.hasobject:
        return {"$opaque": f"numpy array of dtype {a.dtype}"[:100]}
    if a.nbytes > MAX_FRAME // 2:
        raise WireError(f"an array of {a.nbytes} bytes")
    data = np.ascontiguousarray(a).tobytes()
    return {tag: a.dtype.str, "shape": list(a.shape),
            "b": base64.b64encode(data).decode("ascii")}


# ---------------------------------------------------------------- decoding

def decode(data: Any) -> Any:
    """The value that :func:`encode` gave ``data`` for; WireError if it
    is not something encode could have written."""
    budget = [MAX_VALUES]
    return _dec(data, 0, budget)


def _dec(x: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"more than {MAX_VALUES} values")
    if depth > MAX_DEPTH:
        raise WireError(f"nested more than {MAX_DEPTH} levels deep")
    if x is None or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, str):
        if len(x) > MAX_STR:
            raise WireError(f"a string of {len(x)} characters")
        return x
    if isinstance(x, list):
        return [_dec(v, depth + 1, budget) for v in x]
    if not isinstance(x, dict) or not x:
        raise WireError(f"unexpected {type(x).__name__}")
    if "$nd" in x or "$np" in x:
        a = _dec_array(x)
        return a[()] if "$np" in x else a
    if "$tuple" in x:
        items = x["$tuple"]
        if not isinstance(items, list):
            raise WireError("a tuple without items")
        values = tuple(_dec(v, depth + 1, budget) for v in items)
        fields = x.get("fields")
        if fields is None:
            return values
        return _record(x.get("name"), fields, values)
    if "$dict" in x:
        pairs = x["$dict"]
        if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in pairs):
            raise WireError("a dict without [key, value] pairs")
        out = {}
        for k, v in pairs:
            key = _dec(k, depth + 1, budget)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise WireError("a dict key that is not str or int")
            out[key] = _dec(v, depth + 1, budget)
        return out
    if "$float" in x:
        text = x["$float"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"a non-finite float written {text!r}")
        return float(text)
    if "$opaque" in x:
        return Opaque(str(x["$opaque"])[:100])
    if "$rng" in x:
        return generator(x)
    raise WireError(f"an object with keys {sorted(x)[:5]}")


def _dec_array(x: dict) -> np.ndarray:
    try:
        dtype = np.dtype(x.get("$nd", x.get("$np")))
        shape = tuple(int(n) for n in x["shape"])
        raw = base64.b64decode(x["b"], validate=True)
    except (TypeError, ValueError, KeyError) as err:
        raise WireError(f"an array that is not well formed ({err})") from None
    if dtype.kind not in _KINDS or dtype.hasobject or dtype.itemsize == 0:
        raise WireError(f"an array of dtype {dtype}")
    if len(shape) > 32 or any(n < 0 for n in shape):
        raise WireError(f"an array of shape {shape}")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(raw):
        raise WireError(f"an array of shape {shape} and dtype {dtype} with "
                        f"{len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _record(name: Any, fields: Any, values: tuple) -> tuple:
    """A NamedTuple with the student's type and field names, where those
    are plain identifiers (anything else is renamed, never executed)."""
    if not isinstance(fields, list) or len(fields) != len(values) or not all(
            isinstance(f, str) for f in fields):
        raise WireError("a named tuple whose fields do not match its values")
    ok = isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
    cls = namedtuple(name if ok else "Record", fields, rename=True)
    return cls(*values)


# ---------------------------------------------------------------- frames

def dumps(message: Any) -> bytes:
    """A whole frame: header and JSON of already-encoded ``message``."""
    body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise WireError(f"a message of {len(body)} bytes (at most {MAX_FRAME})")
    return _HEADER.pack(len(body)) + body


def write(fd: int, message: Any) -> None:
    """Send one frame on a file descriptor."""
    frame = dumps(message)
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view):]


def read(fd: int, cap: int = MAX_FRAME) -> Any:
    """The next frame's JSON value; EOFError at a clean end of the stream,
    WireError for a frame over ``cap`` bytes or one that is not JSON."""
    header = _read_exactly(fd, _HEADER.size, allow_eof=True)
    (size,) = _HEADER.unpack(header)
    if size > cap:
        raise WireError(f"a message of {size} bytes (at most {cap})")
    body = _read_exactly(fd, size, allow_eof=False)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as err:
        raise WireError(f"a message that is not JSON ({err})") from None


def _read_exactly(fd: int, n: int, *, allow_eof: bool) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            if allow_eof and got == 0:
                raise EOFError
            raise WireError(f"the stream ended inside a message ({got} of {n} bytes)")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
