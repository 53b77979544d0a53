// Compiled codecs (issue 12): a user-declared format, the README's `greeting`, in a list of
// 100k, decoded and encoded by the interpreter and by `compile(codec)`; and the NAR tree
// decoder/encoder (parseNar/encodeNar, checked-in generated code) against the interpreter.
import { compile, decode, encode, list, record, token, u64n, utf8 } from "../dist/codecs/index.js";
import { encodeNar, narGrammar, parseNar } from "../dist/nar/index.js";
import { printTable, timeLoop } from "./lib.mjs";

const greeting = record("demo.greeting", {
  magic: token("hello"),
  name: utf8("demo.name", { max: 64 }),
  ages: list("demo.ages", u64n("demo.age")),
});
const greetings = list("demo.greetings", greeting, { max: 1 << 20 });
const value = Array.from({ length: 100_000 }, (_, i) => ({ name: `user-${i}`, ages: [i % 90, 7] }));
const bytes = encode(greetings, value);
const compiled = compile(greetings);

const opts = { minSeconds: 1, rounds: 3 };
const rows = [];
const pair = (work, interp, comp) => {
  const a = timeLoop(interp, opts);
  const b = timeLoop(comp, opts);
  rows.push({
    work,
    "interpreter ms": a * 1e3,
    "compiled ms": b * 1e3,
    "speed-up": `${(a / b).toFixed(1)}×`,
  });
};
pair(
  "greeting × 100k, decode",
  () => decode(greetings, bytes),
  () => compiled.decode(bytes),
);
pair(
  "greeting × 100k, encode",
  () => encode(greetings, value),
  () => compiled.encode(value),
);

// a NAR tree of 2,000 small files in 40 directories
const tree = {
  type: "directory",
  entries: Array.from({ length: 40 }, (_, d) => ({
    name: `dir-${d}`,
    node: {
      type: "directory",
      entries: Array.from({ length: 50 }, (_, f) => ({
        name: `file-${f}.txt`,
        node: { type: "regular", executable: f % 7 === 0, contents: new Uint8Array(f * 13) },
      })),
    },
  })),
};
const nar = encodeNar(tree);
pair(
  "parseNar, 2,000 files",
  () => decode(narGrammar, nar),
  () => parseNar(nar),
);
pair(
  "encodeNar, 2,000 files",
  () => encode(narGrammar, tree),
  () => encodeNar(tree),
);
printTable(`compiled codecs vs the interpreter (in process; target: greeting ≥ 5×)`, rows);
