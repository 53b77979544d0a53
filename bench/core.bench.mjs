// Core: nixbase32, hashing backends (why Node uses node:crypto), and `hash file` vs Nix.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  nixbase32Decode,
  nixbase32Encode,
  nobleHashBackend,
  parseStorePath,
} from "../dist/core/index.js";
import { nodeHashBackend } from "../dist/node/hash-backend.js";
import {
  bestOfEach,
  CLI,
  HAVE_NIX,
  measureCommand,
  printTable,
  ratio,
  timeLoop,
  WORK_DIR,
} from "./lib.mjs";

const digest = randomBytes(20);
const encoded = nixbase32Encode(digest);
const path = `/nix/store/${encoded}-hello-2.12.1`;
printTable("nixbase32 and store paths (in process)", [
  {
    work: "nixbase32 encode, 20 bytes",
    "µs/op": timeLoop(() => nixbase32Encode(digest)) * 1e6,
    "Rust nix-compat µs": 0.08,
  },
  {
    work: "nixbase32 decode, 32 chars",
    "µs/op": timeLoop(() => nixbase32Decode(encoded)) * 1e6,
    "Rust nix-compat µs": 0.07,
  },
  {
    work: "parseStorePath",
    "µs/op": timeLoop(() => parseStorePath(path)) * 1e6,
    "Rust nix-compat µs": "",
  },
]);

const buf = randomBytes(64 << 20);
const rows = [];
for (const algo of ["md5", "sha1", "sha256", "sha512"]) {
  const mbps = (backend) => {
    const s = timeLoop(() => backend.create(algo).update(buf).digest(), {
      minSeconds: 0.3,
      rounds: 2,
    });
    return buf.length / s / 1e6;
  };
  const noble = mbps(nobleHashBackend);
  const node = mbps(nodeHashBackend);
  rows.push({
    algorithm: algo,
    "noble MB/s": noble,
    "node:crypto MB/s": node,
    "node / noble": node / noble,
  });
}
printTable("hash backends on 64 MiB (the CLI installs node:crypto; browsers use noble)", rows);

mkdirSync(WORK_DIR, { recursive: true });
const big = join(WORK_DIR, "hash-file-200M.bin");
if (!existsSync(big)) {
  const chunk = randomBytes(8 << 20);
  const parts = [];
  for (let i = 0; i < 25; i++) parts.push(chunk);
  writeFileSync(big, Buffer.concat(parts));
}
const fileRows = [];
for (const algo of ["sha256", "sha512"]) {
  const [ours, theirs] = bestOfEach(3, [
    () => measureCommand(process.execPath, [CLI, "hash", "file", "--type", algo, big]),
    HAVE_NIX ? () => measureCommand("nix", ["hash", "file", "--type", algo, big]) : undefined,
  ]);
  fileRows.push({
    work: `hash file --type ${algo}, 200 MiB`,
    "ours s": ours.seconds,
    "nix s": theirs?.seconds,
    "ours/nix": theirs ? ratio(ours.seconds, theirs.seconds) : "n/a",
    "ours peak MiB": ours.maxRssKiB / 1024,
  });
}
printTable("hash file (whole process) vs nix hash file", fileRows);
