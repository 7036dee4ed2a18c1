// Token ids of a file by OpenAI's tiktoken (npm tiktoken 1.0.22, the Rust core as WASM), written as
// little-endian uint32 to stdout: the peer the tokenizer tests compare lmprob against.
//   node tiktoken_ids.cjs PEERS_DIR FILE [--special]
// PEERS_DIR holds node_modules/tiktoken (scripts/npmpeers.sh installs it in build/npm-peers). FILE is
// read as bytes and decoded as UTF-8 with U+FFFD for invalid sequences (WHATWG), which is what every
// JavaScript caller hands tiktoken.
const path = require("path");
const fs = require("fs");
const [peers, file, flag] = process.argv.slice(2);
const { get_encoding } = require(path.resolve(peers, "node_modules", "tiktoken"));
const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(fs.readFileSync(file));
const enc = get_encoding("gpt2");
const ids = flag === "--special" ? enc.encode(text, "all") : enc.encode_ordinary(text);
enc.free();
const out = Buffer.alloc(ids.length * 4);
for (let i = 0; i < ids.length; i++) out.writeUInt32LE(ids[i], i * 4);
process.stdout.write(out);
