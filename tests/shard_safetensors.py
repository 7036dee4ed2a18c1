#!/usr/bin/python3
"""Split a .safetensors file into N shards and model.safetensors.index.json, as transformers' save_pretrained
writes a checkpoint larger than its max_shard_size: the tensors in order of their data, N runs of about equal
count, each shard a valid safetensors file of its own (header padded to 8 bytes, the data copied unchanged), and
a "weight_map" from every tensor name to its shard's file name. Standard library only. Used by the sharded-folder
tests (tests/cli/test_gpt2.sh, python/tests/test_gpt2.py).

    shard_safetensors.py MODEL.safetensors OUT_DIR N
"""
import json
import os
import struct
import sys


def shard(src, out_dir, n):
    with open(src, "rb") as f:
        raw = f.read()
    hlen = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + hlen])
    base = 8 + hlen
    names = sorted((k for k in hdr if k != "__metadata__"), key=lambda k: hdr[k]["data_offsets"][0])
    os.makedirs(out_dir, exist_ok=True)
    weight_map = {}
    for i in range(n):
        part = names[len(names) * i // n:len(names) * (i + 1) // n]
        fn = "model-%05d-of-%05d.safetensors" % (i + 1, n)
        h, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
        for k in part:
            b, e = hdr[k]["data_offsets"]
            h[k] = dict(hdr[k], data_offsets=[off, off + e - b])
            blobs.append(raw[base + b:base + e])
            off += e - b
            weight_map[k] = fn
        hb = json.dumps(h).encode()
        hb += b" " * (-len(hb) % 8)
        with open(os.path.join(out_dir, fn), "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": len(raw) - base}, "weight_map": weight_map}, f, indent=2)
    return weight_map


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    shard(sys.argv[1], sys.argv[2], int(sys.argv[3]))
