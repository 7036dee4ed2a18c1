/* The PyTorch checkpoint reader of the GPT-2 engine (library-internal).
 *
 * `torch.save(model.state_dict(), "pytorch_model.bin")` (PyTorch >= 1.6, the
 * format transformers' save_pretrained wrote before safetensors, and what many
 * fine-tunes on the Hugging Face Hub still ship) is a zip archive whose entries
 * are stored uncompressed:
 *   <prefix>/data.pkl      a pickle of the state dict (protocol 2): an
 *                          OrderedDict of name -> tensor, each tensor rebuilt by
 *                          torch._utils._rebuild_tensor_v2(storage, offset,
 *                          size, stride, requires_grad, hooks), each storage a
 *                          persistent id ('storage', torch.FloatStorage, key,
 *                          location, numel);
 *   <prefix>/data/<key>    the raw bytes of storage <key>, little-endian;
 *   <prefix>/byteorder     "little" (PyTorch >= 2.1; absent before, little).
 * (PyTorch's torch/serialization.py, _save and _load; the zip layout is
 * caffe2/serialize/inline_container.h.) The format before PyTorch 1.6
 * (_legacy_save; the original GPT-2 uploads) is read too: five pickles back to
 * back (a magic number, the version 1001, sys_info, the state dict, the
 * storage keys), then each storage's element count and bytes.
 *
 * pt_parse reads that without running anything: the pickle goes through a
 * small stack machine that knows the opcodes torch.save emits and only the
 * globals a state dict needs (collections.OrderedDict, _rebuild_tensor_v2,
 * _rebuild_parameter, the typed storages), as torch.load(weights_only=True)
 * allows only an allow-list; any other global, opcode or shape of data is an
 * error naming it and its byte offset in data.pkl. Every zip record is checked
 * against the buffer before it is read (zip64 included: GPT-2 XL is 6.2 GB);
 * every tensor must be contiguous, lie inside its storage, and have a storage
 * whose entry holds exactly numel elements. Tensors may share a storage (tied
 * weights); they come out as st_tensor entries, data pointing into the buffer
 * (begin, end: byte offsets in the file), so the rest of the loader treats them
 * as a safetensors file's. CRCs are not checked (as safetensors, which has
 * none; NaN and infinity are caught by the loader's scan of every weight).
 *
 * It reads only the bytes it is given and allocates memory bounded by a
 * constant times the pickle's size. It is the entry point a fuzzer drives. */
#ifndef LMPROB_GPT2_TORCH_CKPT_H
#define LMPROB_GPT2_TORCH_CKPT_H

#include <stddef.h>

#include "safetensors.h"

/* 1 when buf starts as a PyTorch checkpoint does: a zip archive (a local file
 * header: "PK\3\4", then a nonzero "version needed"), or the magic number of
 * the format before PyTorch 1.6. No safetensors file starts so: its first 8
 * bytes, read as its header length, would then be over 4 GB, past the 100 MB
 * that st_parse allows. */
int pt_is_checkpoint(const void *buf, size_t size);

/* Parse and validate buf[0..size) as a PyTorch checkpoint (either format)
 * into *out (data_start 0; names owned by out). `name` (may be NULL) labels the
 * messages. On error *out is zeroed and nothing is left allocated. */
lmp_status pt_parse(const void *buf, size_t size, const char *name, st_file *out, lmp_error *err);

#endif
