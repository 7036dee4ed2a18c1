// One cold pass of a JavaScript GPT-2 tokenizer, for bench/bench_tokenizer.sh:
//   node peer_tokenizer.cjs PEERS_DIR FILE tiktoken|gpt-tokenizer
// In this fresh process: load the encoding (timed: tiktoken's get_encoding("gpt2"), gpt-tokenizer's
// require of its r50k_base encoding, which builds its tables), decode FILE to a string (not timed),
// encode it once (timed; no warm-up pass: whatever cache the library keeps starts empty).
// Prints load_ms=<ms> load_cpu_ms=<ms> encode_s=<s> encode_cpu_s=<s> bytes=<n> ids=<n>, as bench_tokenizer.c does (CPU: the
// process's user + system time, process.cpuUsage()).
const path = require("path");
const fs = require("fs");
const [peers, file, which] = process.argv.slice(2);
const mod = (name) => path.resolve(peers, "node_modules", name);
const buf = fs.readFileSync(file);
let t0 = performance.now();
const l0 = process.cpuUsage();
let encode;
if (which === "tiktoken") {
  const enc = require(mod("tiktoken")).get_encoding("gpt2");
  encode = (s) => enc.encode_ordinary(s);
} else if (which === "gpt-tokenizer") {
  const g = require(path.join(mod("gpt-tokenizer"), "cjs", "encoding", "gpt2.js"));
  encode = (s) => g.encode(s, { disallowedSpecial: new Set() });
} else {
  throw new Error("expected tiktoken or gpt-tokenizer, got " + which);
}
const load = performance.now() - t0;
const lc = process.cpuUsage(l0);
const load_cpu = (lc.user + lc.system) / 1e3;
const text = new TextDecoder("utf-8").decode(buf);
t0 = performance.now();
const c0 = process.cpuUsage();
const ids = encode(text);
const c1 = process.cpuUsage(c0);
const enc = (performance.now() - t0) / 1000;
const cpu = (c1.user + c1.system) / 1e6;
console.log(`load_ms=${load.toFixed(3)} load_cpu_ms=${load_cpu.toFixed(3)} encode_s=${enc.toFixed(6)} encode_cpu_s=${cpu.toFixed(6)} bytes=${buf.length} ids=${ids.length}`);
