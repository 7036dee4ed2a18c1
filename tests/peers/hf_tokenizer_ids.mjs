// Hugging Face's tokenizers.js (@huggingface/tokenizers, installed by scripts/npmpeers.sh) encoding
// with a tokenizer.json, for lmprob's tests of its tokenizer.json reader:
//
//   node hf_tokenizer_ids.mjs PEERS_DIR TOKENIZER_JSON --texts TEXTS_JSON   one line of ids a text
//   node hf_tokenizer_ids.mjs PEERS_DIR TOKENIZER_JSON --file FILE          the ids of the file (UTF-8)
//
// TEXTS_JSON is a JSON array of strings. The ids are encode(text, {add_special_tokens: false}) (GPT-2's
// post-processor adds nothing either way), separated by spaces.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";

const [peers, tokPath, mode, arg] = process.argv.slice(2);
if (!arg || (mode !== "--texts" && mode !== "--file")) {
  console.error("usage: node hf_tokenizer_ids.mjs PEERS_DIR TOKENIZER_JSON --texts TEXTS_JSON | --file FILE");
  process.exit(2);
}
const lib = join(peers, "node_modules/@huggingface/tokenizers/dist/tokenizers.mjs");
const { Tokenizer } = await import(pathToFileURL(resolve(lib)).href);
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, "utf8")), {});
const ids = (text) => tok.encode(text, { add_special_tokens: false }).ids.join(" ");
if (mode === "--file") {
  console.log(ids(readFileSync(arg, "utf8")));
} else {
  for (const text of JSON.parse(readFileSync(arg, "utf8"))) console.log(ids(text));
}
