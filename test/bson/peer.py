#!/usr/bin/python3
"""The peer of test/sh/test_bson_python.sh: pymongo's bson (Debian's
python3-bson, run with /usr/bin/python3).

  peer.py write DIR   writes DIR/py_NAME.bson for every case below and
                      DIR/cases.txt with their names
  peer.py check DIR   checks what the Lua side wrote:
                      lua_NAME.bson   byte-identical to pymongo's encoding of
                                      the same case, and decoding to its values
                      relay_NAME.bson pymongo's document decoded by our bson
                                      and encoded again: the same values
The cases mirror test/lua/bson_cases.lua (same names, same field order);
the ones marked python_only use types Lua builds no constructor for and
are checked through the relay only.
"""
import datetime
import math
import os
import sys

import bson
from bson.binary import Binary, UuidRepresentation
from bson.code import Code
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

OPTIONS = CodecOptions(uuid_representation=UuidRepresentation.UNSPECIFIED)
EPOCH = datetime.datetime(1970, 1, 1)


def ms(n):
    return EPOCH + datetime.timedelta(milliseconds=n)


def deep(levels):
    d = {"leaf": "bottom"}
    for i in range(levels, 0, -1):
        d = {"level": i, "d": d}
    return d


def big_array():
    return ["item%d" % i if i % 3 == 0 else (i * i if i % 3 == 1 else i / 4) for i in range(1, 10001)]


CASES = [
    ("double", {"a": 1.5, "b": -0.25, "c": 1e308, "d": 5e-324, "e": 0.1, "f": 2.0 ** 53, "g": -0.0, "h": 1.0}),
    ("double_inf", {"pos": math.inf, "neg": -math.inf}),
    ("double_nan", {"nan": math.nan}),
    ("string", {"empty": "", "ascii": "hello world", "nul": "a\0b", "utf8": "héllo wörld ✓ 😀"}),
    ("document", {"outer": {"inner": {"x": 1, "y": "two"}, "empty": {}}}),
    ("array", {"list": [1, 2.5, "three", True, False, None, [4, [5]], {"k": "v"}], "empty": []}),
    ("binary", {"generic": Binary(b"\0\1\2\xff", 0), "empty": Binary(b"", 0), "function": Binary(b"code", 1),
                "uuid": Binary(b"0123456789abcdef", 4), "md5": Binary(b"\x5a" * 16, 5),
                "user": Binary(b"user data", 0x80)}),
    ("objectid", {"id": ObjectId("5f3e1a2b3c4d5e6f70819203"), "max": ObjectId("ffffffffffffffffffffffff")}),
    ("boolean", {"t": True, "f": False}),
    ("date", {"epoch": ms(0), "now": ms(1700000000000), "before": ms(-86400000), "ms": ms(1700000000500),
              "far": ms(253402300799000)}),
    ("null", {"n": None}),
    ("regex", {"plain": Regex("^a.*b$"), "flags": Regex("x+", "imx"), "utf8": Regex("é+", "i")}),
    ("int32", {"zero": 0, "one": 1, "neg": -1, "min": -2147483648, "max": 2147483647}),
    ("int64", {"above": 2147483648, "below": -2147483649, "min": -2 ** 63, "max": 2 ** 63 - 1, "small": Int64(5)}),
    ("timestamp", {"ts": Timestamp(1700000000, 42), "zero": Timestamp(0, 0),
                   "max": Timestamp(4294967295, 4294967295)}),
    ("minmax", {"min": MinKey(), "max": MaxKey()}),
    ("key_order", {"zebra": 1, "apple": 2, "mango": 3, "b": 4, "a": 5, "$cmd": 6, "sub": {"z": 1, "_id": 2, "a": 3}}),
    ("utf8_keys", {"clé": "value", "日本": 1}),
    ("nested_deep", deep(100)),
    ("large", {"blob": "abcdefghij" * 500000, "list": big_array()}),
]
PYTHON_ONLY = [
    ("decimal128", {"d": Decimal128("1.5"), "neg": Decimal128("-123456789.000000001"), "inf": Decimal128("Infinity")}),
    ("code", {"js": Code("function () { return 1; }")}),
    ("code_w_scope", {"js": Code("function () { return x; }", {"x": 1, "s": "scope"})}),
    ("objectid_generated", None),  # written by write(): a fresh ObjectId and its hex
]


def norm(v, relay=False):
    """a value in a form == compares exactly: floats apart from integers,
    NaN equal to itself, bytes and Binary alike; after a relay through Lua
    an empty array is an empty table, which encodes as a document"""
    if isinstance(v, dict):
        return {k: norm(x, relay) for k, x in v.items()}
    if isinstance(v, list):
        if relay and not v:
            return {}
        return [norm(x, relay) for x in v]
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, float):
        return ("nan",) if math.isnan(v) else ("float", v, math.copysign(1, v))
    if isinstance(v, int):
        return ("int", int(v))
    if isinstance(v, bytes):
        return ("binary", getattr(v, "subtype", 0), bytes(v))
    return v


def write(folder):
    names = []
    for name, value in CASES + PYTHON_ONLY:
        if value is None:
            oid = ObjectId()
            value = {"id": oid, "hex": str(oid)}
        with open(os.path.join(folder, "py_%s.bson" % name), "wb") as f:
            f.write(bson.encode(value))
        names.append(name)
    with open(os.path.join(folder, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("peer: wrote %d documents" % len(names))


def read(folder, prefix, name):
    with open(os.path.join(folder, "%s_%s.bson" % (prefix, name)), "rb") as f:
        return f.read()


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check(folder):
    failures = []

    def expect(what, ok):
        if not ok:
            failures.append(what)
            print("MISMATCH", what)

    for name, value in CASES:
        ours = read(folder, "lua", name)
        theirs = bson.encode(value)
        expect("%s: bytes differ at offset %d (lua %d bytes, python %d)" % (
            name, first_difference(ours, theirs), len(ours), len(theirs)), ours == theirs)
        expect("%s: lua's document decodes to other values" % name,
               norm(bson.decode(ours, codec_options=OPTIONS)) == norm(value))
    generated = bson.decode(read(folder, "lua", "objectid_generated"), codec_options=OPTIONS)
    oid = generated["id"]
    expect("objectid_generated: %s is not %s" % (oid, generated["hex"]), str(oid) == generated["hex"])
    expect("objectid_generated: time %s is not about %s" % (oid.generation_time, generated["time"]),
           abs(oid.generation_time.timestamp() - generated["time"]) <= 5)
    expect("objectid_generated: two ids are equal", generated["next"] != oid)
    for name, value in CASES + PYTHON_ONLY:
        if value is None:
            value = bson.decode(read(folder, "py", name), codec_options=OPTIONS)
        relayed = bson.decode(read(folder, "relay", name), codec_options=OPTIONS)
        expect("%s: changed on its way through lua: %r" % (name, relayed if len(repr(relayed)) < 2000 else "..."),
               norm(relayed, True) == norm(value, True))
    if failures:
        print("peer: %d mismatches" % len(failures))
        return 1
    print("peer: %d cases byte-identical and equal, %d relayed unchanged, the generated objectid is sound"
          % (len(CASES), len(CASES) + len(PYTHON_ONLY)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit("usage: peer.py write|check DIR")
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
