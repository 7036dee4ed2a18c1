#!/usr/bin/env python3
"""Write a GPT-2 safetensors file's tensors as PyTorch itself saves a state dict (torch.save), the
pytorch_model.bin of a Hugging Face folder from before safetensors, for lmprob's loader tests.

  make_torch_checkpoint.py IN.safetensors OUT.bin [--f16] [--lm-head] [--parameters]
                           [--shards N] [--transposed NAME] [--legacy]

--f16         the tensors in float16
--lm-head     an lm_head.weight beside transformer.wte.weight, the same tensor (one storage, as
              GPT2LMHeadModel's state_dict() has when the weights are tied)
--parameters  the values as torch.nn.Parameter (pickled through torch._utils._rebuild_parameter)
--shards N    N files OUT-0000k-of-0000N.bin and OUT.index.json (weight_map), as save_pretrained
              writes past max_shard_size; OUT itself is not written
--transposed NAME   that tensor saved as a transposed view (not contiguous)
--legacy      PyTorch's format before 1.6 (_use_new_zipfile_serialization=False)

Reads safetensors with the standard library and numpy (the safetensors package is not in Debian).
write() does the same from Python (several checkpoints in one process).
"""
import argparse
import collections
import json
import os
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "F16": np.float16}
    out = collections.OrderedDict()
    for name, v in header.items():
        if name == "__metadata__":
            continue
        s, e = v["data_offsets"]
        a = np.frombuffer(b[base + s:base + e], dtype=dtypes[v["dtype"]]).reshape(v["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def write(inp, out, f16=False, lm_head=False, parameters=False, shards=0, transposed=None, legacy=False):
    """The command's work, for a caller that writes several checkpoints in one process (torch imports in
    about 1.5 s)."""
    sd = read_safetensors(inp)
    if f16:
        sd = collections.OrderedDict((k, v.half()) for k, v in sd.items())
    if lm_head:
        wte = next(k for k in sd if k.endswith("wte.weight"))
        sd["lm_head.weight"] = sd[wte]
    if transposed:
        sd[transposed] = sd[transposed].t().contiguous().t()
    if parameters:
        sd = collections.OrderedDict((k, torch.nn.Parameter(v, requires_grad=False)) for k, v in sd.items())
    # as Module.state_dict() leaves it: an OrderedDict with a _metadata attribute (each module's version), which
    # pickles as a BUILD after the items
    sd._metadata = collections.OrderedDict([("", {"version": 1})] + [(k.rsplit(".", 1)[0], {"version": 1}) for k in sd])
    kw = {"_use_new_zipfile_serialization": False} if legacy else {}
    if shards <= 0:
        torch.save(sd, out, **kw)
        return
    names = list(sd)
    stem, ext = os.path.splitext(out)
    weight_map = {}
    for k in range(shards):
        part = names[k * len(names) // shards:(k + 1) * len(names) // shards]
        fn = "%s-%05d-of-%05d%s" % (os.path.basename(stem), k + 1, shards, ext)
        torch.save(collections.OrderedDict((n, sd[n]) for n in part), os.path.join(os.path.dirname(out), fn), **kw)
        weight_map.update({n: fn for n in part})
    with open(out + ".index.json", "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--f16", action="store_true")
    ap.add_argument("--lm-head", action="store_true")
    ap.add_argument("--parameters", action="store_true")
    ap.add_argument("--shards", type=int, default=0)
    ap.add_argument("--transposed")
    ap.add_argument("--legacy", action="store_true")
    a = ap.parse_args()
    write(a.inp, a.out, a.f16, a.lm_head, a.parameters, a.shards, a.transposed, a.legacy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
