// Compiled codecs (issue 12): a user-declared format, the README's `greeting`, in a list of
// 100k, decoded and encoded by the interpreter and by `compile(codec)`; the NAR tree
// decoder/encoder (parseNar/encodeNar, checked-in generated code) against the interpreter;
// and wire messages (20,000 QueryPathInfo replies, buffered in 64 KiB chunks) read one by one
// as the daemon session reads them: `decodeMessage(compiled(codec), reader)` against
// `decodeAsync(codec, reader)`, the interpreter every message went through before (there never
// was a hand-written wire decoder: the worker protocol was always declared).
import {
  ByteReader,
  compile,
  compiled as compiledOf,
  decode,
  decodeAsync,
  decodeMessage,
  encode,
  list,
  record,
  token,
  u64n,
  utf8,
} from "../dist/codecs/index.js";
import { parseHash } from "../dist/core/index.js";
import { MAX_PROTOCOL_VERSION, unkeyedPathInfo } from "../dist/daemon/index.js";
import { encodeNar, narGrammar, parseNar } from "../dist/nar/index.js";
import { printTable, timeLoop, timeLoopAsync } from "./lib.mjs";

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

// wire messages: QueryPathInfo replies' path infos, as a session reads them off a connection
const infoCodec = unkeyedPathInfo(MAX_PROTOCOL_VERSION);
const storePath = (i) => `/nix/store/${String(i).padStart(32, "a").slice(-32)}-pkg-${i}`;
const infos = Array.from({ length: 20_000 }, (_, i) => ({
  deriver: `${storePath(i)}.drv`,
  narHash: parseHash("sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"),
  references: Array.from({ length: i % 12 }, (_, r) => storePath(i + r)),
  registrationTime: 1700000000 + i,
  narSize: 4096 + i,
  ultimate: false,
  sigs: [`cache.example.org-1:${"A".repeat(86)}==`],
  ca: undefined,
}));
const wire = new Uint8Array(Buffer.concat(infos.map((info) => encode(infoCodec, info))));
const wireChunks = () => {
  const out = [];
  for (let at = 0; at < wire.length; at += 1 << 16) out.push(wire.subarray(at, at + (1 << 16)));
  return out;
};
const readAll = (next) => async () => {
  const chunks = wireChunks();
  const reader = new ByteReader({ next: () => chunks.shift() });
  for (let i = 0; i < infos.length; i++) await next(reader);
};
const compiledInfo = compiledOf(infoCodec);
const wireOpts = { minSeconds: 2, rounds: 3 };
const wireInterp = await timeLoopAsync(
  readAll((r) => decodeAsync(infoCodec, r, { allowTrailing: true })),
  wireOpts,
);
const wireCompiled = await timeLoopAsync(
  readAll((r) => decodeMessage(compiledInfo, r)),
  wireOpts,
);
rows.push({
  work: `wire: ${infos.length} path infos, one message at a time (${compiledInfo.mode})`,
  "interpreter ms": wireInterp * 1e3,
  "compiled ms": wireCompiled * 1e3,
  "speed-up": `${(wireInterp / wireCompiled).toFixed(1)}×`,
});
printTable(`compiled codecs vs the interpreter (in process; target: greeting ≥ 5×)`, rows);
