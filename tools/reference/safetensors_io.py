#!/usr/bin/env python3
"""Independent, standard-library-only reader and writer of the safetensors format, to check the
checkpoints the Java side writes and to give it a file written by someone else.

    python3 tools/reference/safetensors_io.py dump FILE
        prints {"metadata": {...}, "tensors": {name: {"dtype", "shape", "data": [numbers]}}};
        a malformed file exits 2 with the reason on stderr.
    python3 tools/reference/safetensors_io.py write-fixture [--out DIR]
        writes python-written.safetensors (an H=4 checkpoint: parameters and Adam moments) and
        python-written.expected.json (the same content as `dump` prints it).

Format: u64 little-endian header length N, N bytes of JSON (UTF-8; padded with spaces so that data
starts at a multiple of 8), then the raw little-endian tensor bytes. The header maps each tensor
name to {"dtype", "shape", "data_offsets": [begin, end]} (relative to the data start) and may hold
"__metadata__", a map of string to string. Tensors must tile the data exactly: no gap, no overlap,
nothing left over.
"""
import argparse
import json
import math
import os
import struct
import sys

HEADER_LIMIT = 100 * 1024 * 1024  # the reference implementation refuses bigger headers too
ALIGN = 8

# dtype -> (bytes per element, struct code or None when decoded by hand)
DTYPES = {
    "BOOL": (1, "?"), "U8": (1, "B"), "I8": (1, "b"), "I16": (2, "h"), "U16": (2, "H"),
    "F16": (2, "e"), "BF16": (2, None), "I32": (4, "i"), "U32": (4, "I"), "F32": (4, "f"),
    "F64": (8, "d"), "I64": (8, "q"), "U64": (8, "Q"), "F8_E4M3": (1, None), "F8_E5M2": (1, None),
}

# SPEC §2's parameter names; shapes follow from H.
PARAM_NAMES = [
    "actor.0.weight", "actor.0.bias", "actor.2.weight", "actor.2.bias", "actor.4.weight", "actor.4.bias",
    "log_std",
    "critic.0.weight", "critic.0.bias", "critic.2.weight", "critic.2.bias", "critic.4.weight", "critic.4.bias",
]

SPEC_DEFAULTS = {
    "gamma": 0.99, "gae_lambda": 0.95, "clip_epsilon": 0.2, "epochs": 4, "minibatch_size": 0,
    "learning_rate": 3e-4, "value_coef": 0.5, "entropy_coef": 0.01, "max_grad_norm": 0.5,
    "adam_eps": 1e-8, "normalize_advantages": True,
}


class Malformed(Exception):
    pass


def param_shapes(h):
    return {
        "actor.0.weight": [h, 5], "actor.0.bias": [h], "actor.2.weight": [h, h], "actor.2.bias": [h],
        "actor.4.weight": [2, h], "actor.4.bias": [2], "log_std": [2],
        "critic.0.weight": [h, 5], "critic.0.bias": [h], "critic.2.weight": [h, h], "critic.2.bias": [h],
        "critic.4.weight": [1, h], "critic.4.bias": [1],
    }


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------- writing

def encode(tensors, metadata):
    """tensors: {name: (dtype, shape, flat list)}. Laid out as safetensors does: larger dtypes first,
    then by name, so a reader must not assume any particular order of its own."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError(f"__metadata__ must map strings to strings, got {k!r}: {v!r}")
    order = sorted(tensors, key=lambda n: (-DTYPES[tensors[n][0]][0], n))
    header = {"__metadata__": metadata} if metadata else {}
    chunks, offset = [], 0
    for name in order:
        dtype, shape, data = tensors[name]
        size, code = DTYPES[dtype]
        if code is None:
            raise ValueError(f"writing {dtype} is not supported")
        if len(data) != numel(shape):
            raise ValueError(f"{name}: {len(data)} values for shape {shape}")
        raw = struct.pack(f"<{len(data)}{code}", *data)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((ALIGN - (8 + len(text)) % ALIGN) % ALIGN)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_fixture(out_dir, hidden=4):
    """An H=4 checkpoint with values nobody could get by accident: tensor k, element i holds 0.001*i + k."""
    shapes = param_shapes(hidden)
    names = list(PARAM_NAMES)
    names += [f"optimizer.{n}.exp_avg" for n in PARAM_NAMES]
    names += [f"optimizer.{n}.exp_avg_sq" for n in PARAM_NAMES]
    tensors = {}
    for k, name in enumerate(names):
        base = name.split(".", 1)[1].rsplit(".", 1)[0] if name.startswith("optimizer.") else name
        shape = shapes[base]
        values = [as_f32(0.001 * i + k) for i in range(numel(shape))]
        tensors[name] = ("F32", shape, values)
    metadata = {
        "format": "edgeppo-checkpoint", "format_version": "1", "adam_step": "7", "updates": "3",
        "hyperparameters": json.dumps(SPEC_DEFAULTS, separators=(",", ":")),
    }
    os.makedirs(out_dir, exist_ok=True)
    blob = encode(tensors, metadata)
    st_path = os.path.join(out_dir, "python-written.safetensors")
    with open(st_path, "wb") as f:
        f.write(blob)
    expected = decode(blob)  # read back through the reader: writer and reader must agree
    assert expected["tensors"] == {n: {"dtype": d, "shape": s, "data": v} for n, (d, s, v) in tensors.items()}
    with open(os.path.join(out_dir, "python-written.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    return st_path


def as_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------- reading

def decode(blob):
    if len(blob) < 8:
        raise Malformed(f"file is {len(blob)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if n > HEADER_LIMIT:
        raise Malformed(f"header length {n} exceeds the limit of {HEADER_LIMIT} bytes")
    if 8 + n > len(blob):
        raise Malformed(f"header length {n} runs past the end of the file ({len(blob)} bytes)")
    try:
        text = blob[8:8 + n].decode("utf-8")
    except UnicodeDecodeError as e:
        raise Malformed(f"header is not UTF-8: {e}") from None
    try:
        header = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
    except (ValueError, Malformed) as e:
        raise Malformed(f"header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise Malformed("header is not a JSON object")
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise Malformed("__metadata__ must be an object whose values are all strings")
    entries = [check_entry(name, info, len(data)) for name, info in header.items()]
    entries.sort(key=lambda e: (e[3][0], e[3][1]))
    expect = 0
    for name, _, _, (begin, end) in entries:
        if begin < expect:
            raise Malformed(f"tensor '{name}' overlaps the previous tensor (starts at {begin}, previous ends at {expect})")
        if begin > expect:
            raise Malformed(f"gap in the data before tensor '{name}' (bytes {expect}..{begin} belong to no tensor)")
        expect = end
    if expect != len(data):
        raise Malformed(f"data has {len(data)} bytes but the tensors cover only {expect}")
    tensors = {}
    for name, dtype, shape, (begin, end) in sorted(entries, key=lambda e: e[0]):
        tensors[name] = {"dtype": dtype, "shape": shape, "data": unpack(dtype, data[begin:end])}
    return {"metadata": metadata, "tensors": tensors}


def check_entry(name, info, data_len):
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise Malformed(f"tensor '{name}' needs exactly dtype, shape and data_offsets, got {info!r}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in DTYPES:
        raise Malformed(f"tensor '{name}' has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(is_count(d) for d in shape):
        raise Malformed(f"tensor '{name}' has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(is_count(o) for o in offsets)):
        raise Malformed(f"tensor '{name}' has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if end < begin:
        raise Malformed(f"tensor '{name}' ends ({end}) before it begins ({begin})")
    if end > data_len:
        raise Malformed(f"tensor '{name}' data_offsets [{begin}, {end}] run past the data ({data_len} bytes)")
    want = numel(shape) * DTYPES[dtype][0]
    if end - begin != want:
        raise Malformed(f"tensor '{name}' has {end - begin} bytes, but {dtype} {shape} needs {want}")
    return name, dtype, shape, (begin, end)


def is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise Malformed(f"duplicate keys {sorted(dup)}")
    return dict(pairs)


def reject_constant(name):
    raise Malformed(f"{name} is not JSON")


def unpack(dtype, raw):
    size, code = DTYPES[dtype]
    count = len(raw) // size
    if code is not None:
        return list(struct.unpack(f"<{count}{code}", raw))
    if dtype == "BF16":
        return [struct.unpack("<f", b"\0\0" + raw[i:i + 2])[0] for i in range(0, len(raw), 2)]
    return [fp8(b, dtype) for b in raw]


def fp8(b, dtype):
    exp_bits, bias = (4, 7) if dtype == "F8_E4M3" else (5, 15)
    man_bits = 7 - exp_bits
    sign = -1.0 if b & 0x80 else 1.0
    e = (b >> man_bits) & ((1 << exp_bits) - 1)
    m = b & ((1 << man_bits) - 1)
    if dtype == "F8_E4M3" and e == 0xF and m == 0x7:
        return math.nan
    if dtype == "F8_E5M2" and e == 0x1F:
        return sign * math.inf if m == 0 else math.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - man_bits)
    return sign * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)


def json_number(x):
    # JSON has no NaN or infinity; a checkpoint holding them is itself worth seeing, so spell them out.
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "src", "test", "resources", "fixtures", "checkpoint"))
    ap = argparse.ArgumentParser(description="safetensors reader/writer (standard library only)")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="print a safetensors file as JSON")
    d.add_argument("file")
    w = sub.add_parser("write-fixture", help="write the H=4 checkpoint fixture and its expected JSON")
    w.add_argument("--out", default=default_out)
    args = ap.parse_args(argv)
    if args.command == "write-fixture":
        print(write_fixture(args.out))
        return 0
    try:
        with open(args.file, "rb") as f:
            blob = f.read()
    except OSError as e:
        print(f"safetensors_io: cannot read {args.file}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        result = decode(blob)
    except Malformed as e:
        print(f"safetensors_io: {args.file}: malformed safetensors file: {e}", file=sys.stderr)
        return 2
    for t in result["tensors"].values():
        t["data"] = [json_number(x) for x in t["data"]]
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
