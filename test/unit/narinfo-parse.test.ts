import { describe, expect, it } from "vitest";
import { base16Encode } from "../../src/core/base16.js";
import { MalformedInputError } from "../../src/core/errors.js";
import { formatHash } from "../../src/core/hash.js";
import { nixbase32Decode } from "../../src/core/nixbase32.js";
import {
  effectiveCompression,
  type NarInfo,
  NarInfoError,
  narInfoFingerprint,
  narInfoQuirks,
  normaliseNarInfo,
  parseNarInfo,
  printNarInfo,
} from "../../src/narinfo/index.js";

const SP = "/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf";
const NH32 = "1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw";
const FH32 = "0i1dmr7f1pliycq471wfgifwrkbii2ky9gb35zsvv46ld1rl2m2c";
const SIG =
  "cache.nixos.org-1:gegnOA5CqLYaCIgcQ843KvfYZBzn2cKGzC2hcSrZHRt4Nj+uJaVNV06iARZ39zJtbnuyq7+5KCPcl3zB0hoyBA==";
const R1 = "arsnax0avamwiml7qrwn9wzbic33pyk9-polkit-0.113";
const R2 = "c6y19ffnw8zv1w2vbb5liphzz8ac8kyn-system-path";

const BASE = [
  `StorePath: ${SP}`,
  `URL: nar/${FH32}.nar.xz`,
  "Compression: xz",
  `FileHash: sha256:${FH32}`,
  "FileSize: 3020",
  `NarHash: sha256:${NH32}`,
  "NarSize: 11408",
  `References: ${R1} ${R2}`,
  "Deriver: lzydd5cyykz34jpbchk6psv23kgmx1f2-dbus-conf.drv",
  `Sig: ${SIG}`,
];

function text(lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

function replace(key: string, line: string | undefined): string[] {
  const out: string[] = [];
  for (const l of BASE) {
    if (l.startsWith(`${key}: `)) {
      if (line !== undefined) out.push(line);
    } else out.push(l);
  }
  return out;
}

function roundTrip(t: string) {
  const info = parseNarInfo(t);
  expect(printNarInfo(info)).toBe(t);
  return info;
}

function errorOf(t: string): NarInfoError {
  try {
    parseNarInfo(t);
  } catch (err) {
    expect(err).toBeInstanceOf(NarInfoError);
    expect(err).toBeInstanceOf(MalformedInputError);
    return err as NarInfoError;
  }
  throw new Error("expected an error");
}

describe("narinfo quirks round trip exactly and are recorded", () => {
  it("canonical file: no quirks", () => {
    const info = roundTrip(text(BASE));
    expect(narInfoQuirks(info)).toEqual([]);
    expect(info.references.map((r) => r.name)).toEqual(["polkit-0.113", "system-path"]);
    expect(info.signatures[0]!.keyName).toBe("cache.nixos.org-1");
  });

  it("Nix 2.8's leniencies: read as Nix reads them, recorded, printed back, normalised", () => {
    const sigB64 = SIG.slice(SIG.indexOf(":") + 1);
    const cases: [string[], string, (i: NarInfo) => void][] = [
      [replace("NarSize", "NarSize: +0042"), "size-spelling", (i) => expect(i.narSize).toBe(42)],
      [replace("FileSize", "FileSize: 007"), "size-spelling", (i) => expect(i.fileSize).toBe(7)],
      [
        replace("References", `References:  ${R2} ${R1}  ${R2} `),
        "references-spelling",
        (i) => expect(i.references.map((r) => `${r.hash}-${r.name}`)).toEqual([R2, R1]),
      ],
      [
        replace("Sig", `Sig: ${SIG.replace(/=+$/, "")}`),
        "signature-spelling",
        (i) => expect(printNarInfo(normaliseNarInfo(i))).toContain(`Sig: ${SIG}\n`),
      ],
      [
        replace("Sig", `Sig: ${SIG}=xyz`),
        "signature-spelling",
        (i) => expect(i.signatures[0]!.sig.length).toBe(64),
      ],
      [
        [...BASE.slice(0, 5), `NarHash: sha256:${FH32}`, ...BASE.slice(5)],
        "superseded-lines",
        (i) => expect(formatHash(i.narHash, "nix32")).toBe(`sha256:${NH32}`),
      ],
      [
        [...BASE.slice(0, 6), "NarSize: 0", ...BASE.slice(6)],
        "superseded-lines",
        (i) => expect(i.narSize).toBeGreaterThan(0),
      ],
    ];
    for (const [lines, quirk, check] of cases) {
      const info = roundTrip(text(lines));
      expect(narInfoQuirks(info), quirk).toContain(quirk);
      check(info);
      const canonical = printNarInfo(normaliseNarInfo(info));
      expect(narInfoQuirks(parseNarInfo(canonical)), quirk).toEqual([]);
      expect(narInfoFingerprint(parseNarInfo(canonical))).toBe(narInfoFingerprint(info));
    }
    expect(sigB64.length).toBe(88);
  });

  it("a spelling kept for printing gives way when the value changes", () => {
    const info = parseNarInfo(text(replace("NarSize", "NarSize: 0042")));
    expect(printNarInfo({ ...info, narSize: 43 })).toContain("NarSize: 43\n");
    const refs = parseNarInfo(text(replace("References", `References: ${R1}  ${R2}`)));
    expect(printNarInfo({ ...refs, references: refs.references.slice(1) })).toContain(
      `References: ${R2}\n`,
    );
  });

  it("NarHash and FileHash in hex (Cachix)", () => {
    const hex = base16Encode(nixbase32Decode(NH32));
    const fhex = base16Encode(nixbase32Decode(FH32));
    const t = text(
      replace("NarHash", `NarHash: sha256:${hex}`).map((l) =>
        l.startsWith("FileHash") ? `FileHash: sha256:${fhex}` : l,
      ),
    );
    const info = roundTrip(t);
    expect(narInfoQuirks(info)).toEqual(["nar-hash-base16", "file-hash-base16"]);
    expect(narInfoFingerprint(info)).toContain(`;sha256:${NH32};`);
    expect(printNarInfo(normaliseNarInfo(info))).toBe(text(BASE));
  });

  it("SRI and base64 hashes", () => {
    const info = roundTrip(
      text(replace("NarHash", "NarHash: sha256-FePFYIlMuycIXPZbWi7LGEiMmZSX9FMbaQenWBzm1Sc=")),
    );
    expect(info.quirks.narHashEncoding).toBe("sri");
    const b64 = roundTrip(
      text(replace("NarHash", "NarHash: sha256:FePFYIlMuycIXPZbWi7LGEiMmZSX9FMbaQenWBzm1Sc=")),
    );
    expect(b64.quirks.narHashEncoding).toBe("base64");
  });

  it("Compression absent (means bzip2) or none", () => {
    const absent = roundTrip(text(replace("Compression", undefined)));
    expect(absent.compression).toBeUndefined();
    expect(effectiveCompression(absent)).toBe("bzip2");
    expect(narInfoQuirks(absent)).toEqual(["compression-absent"]);
    const none = roundTrip(text(replace("Compression", "Compression: none")));
    expect(none.compression).toBe("none");
  });

  it("References out of order, empty, or absent", () => {
    const out = roundTrip(text(replace("References", `References: ${R2} ${R1}`)));
    expect(narInfoQuirks(out)).toEqual(["references-out-of-order"]);
    expect(printNarInfo(normaliseNarInfo(out))).toBe(text(BASE));
    const empty = roundTrip(text(replace("References", "References: ")));
    expect(empty.references).toEqual([]);
    expect(narInfoQuirks(empty)).toEqual([]);
    const absent = roundTrip(text(replace("References", undefined)));
    expect(absent.quirks.referencesAbsent).toBe(true);
    expect(narInfoQuirks(absent)).toEqual(["references-absent"]);
  });

  it("Deriver: unknown-deriver, FileHash/FileSize absent", () => {
    const u = roundTrip(text(replace("Deriver", "Deriver: unknown-deriver")));
    expect(u.deriver).toBeUndefined();
    expect(narInfoQuirks(u)).toEqual(["unknown-deriver"]);
    const f = roundTrip(
      text(replace("FileHash", undefined).filter((l) => !l.startsWith("FileSize"))),
    );
    expect(narInfoQuirks(f)).toEqual(["file-hash-absent", "file-size-absent"]);
  });

  it("unknown fields are kept in place, and so is any line order", () => {
    const lines = [...BASE];
    lines.splice(3, 0, "X-Cache: hit", "Empty: ");
    const info = roundTrip(text(lines));
    expect(info.unknownFields).toEqual([
      { key: "X-Cache", value: "hit" },
      { key: "Empty", value: "" },
    ]);
    expect(narInfoQuirks(info)).toEqual(["unknown-fields", "non-canonical-order"]);
    roundTrip(text([...BASE].reverse()));
    const atEnd = roundTrip(text([...BASE, "Foo: bar"]));
    expect(atEnd.quirks.fieldOrder).toBeUndefined();
    expect(printNarInfo(normaliseNarInfo(info))).toBe(text(BASE));
  });

  it("CA in every method, and with a hex digest", () => {
    for (const ca of [
      "CA: fixed:r:sha256:0gkkhap0ljzw750z2ypjr87n4mhinv07flvcshvi9l4jlqs2w1bc",
      "CA: fixed:sha1:1yhq1x9x2ahbrjwblqrw9b1n7dfmn2hm",
      "CA: text:sha256:1kr6h9rkk2rhyj35isglsf55m1nz9lybi1m2k2sv6iwb8i6didhx",
      `CA: fixed:r:sha256:${"ab".repeat(32)}`,
      "CA: fixed:md5:00112233445566778899aabbccddeeff",
    ]) {
      roundTrip(text([...BASE, ca]));
    }
  });

  it("several signatures, any names", () => {
    const sig2 = `my key:${SIG.slice(SIG.indexOf(":") + 1)}`;
    const info = roundTrip(text([...BASE, `Sig: ${sig2}`]));
    expect(info.signatures.map((s) => s.keyName)).toEqual(["cache.nixos.org-1", "my key"]);
  });
});

describe("narinfo errors have codes and line numbers", () => {
  const cases: [string, string, string[], number | undefined][] = [
    ["missing StorePath", "narinfo.missing-field", replace("StorePath", undefined), undefined],
    ["missing NarHash", "narinfo.missing-field", replace("NarHash", undefined), undefined],
    ["missing NarSize", "narinfo.missing-field", replace("NarSize", undefined), undefined],
    ["missing URL", "narinfo.missing-field", replace("URL", undefined), undefined],
    [
      "malformed line",
      "narinfo.malformed-line",
      [...BASE.slice(0, 2), "garbage", ...BASE.slice(2)],
      3,
    ],
    [
      "no space after colon",
      "narinfo.malformed-line",
      replace("System", undefined).concat("System:x86_64-linux"),
      11,
    ],
    ["blank line", "narinfo.malformed-line", [...BASE.slice(0, 4), "", ...BASE.slice(4)], 5],
    ["empty value", "narinfo.empty-value", replace("URL", "URL: "), 2],
    [
      "hash without prefix",
      "narinfo.missing-hash-prefix",
      replace("NarHash", `NarHash: ${NH32}`),
      6,
    ],
    [
      "hash with md5 prefix",
      "narinfo.wrong-hash-algorithm",
      replace("NarHash", `NarHash: md5:${NH32}`),
      6,
    ],
    [
      "hash with sha512 prefix",
      "narinfo.wrong-hash-algorithm",
      replace("FileHash", `FileHash: sha512:${FH32}`),
      4,
    ],
    [
      "hash with bad digest",
      "narinfo.bad-hash",
      replace("NarHash", `NarHash: sha256:${NH32.slice(1)}e`),
      6,
    ],
    ["hash with short digest", "narinfo.bad-hash", replace("NarHash", "NarHash: sha256:abc"), 6],
    ["bad size", "narinfo.bad-size", replace("NarSize", "NarSize: 12a"), 7],
    ["negative size", "narinfo.bad-size", replace("FileSize", "FileSize: -1"), 5],
    ["size with a space", "narinfo.bad-size", replace("NarSize", "NarSize:  12"), 7],
    [
      "duplicate Deriver",
      "narinfo.duplicate-field",
      [...BASE, BASE.find((l) => l.startsWith("Deriver"))!],
      11,
    ],
    ["duplicate References", "narinfo.duplicate-field", [...BASE, "References: "], 11],
    ["zero NarSize", "narinfo.bad-size", replace("NarSize", "NarSize: 0"), 7],
    ["huge size", "narinfo.bad-size", replace("NarSize", "NarSize: 99999999999999999999"), 7],
    [
      "bad store path",
      "narinfo.bad-store-path",
      replace("StorePath", "StorePath: /nix/store/abc"),
      1,
    ],
    [
      "store path outside the store",
      "narinfo.bad-store-path",
      replace("StorePath", `StorePath: /tmp/${R1}`),
      1,
    ],
    [
      "bad reference",
      "narinfo.bad-store-path",
      replace("References", `References: ${R1} e${R2.slice(1)}`),
      8,
    ],
    ["bad deriver", "narinfo.bad-store-path", replace("Deriver", "Deriver: /nix/store/x.drv"), 9],
    [
      "signature without name",
      "narinfo.bad-signature",
      replace("Sig", `Sig: ${SIG.slice(SIG.indexOf(":"))}`),
      10,
    ],
    [
      "signature bad base64",
      "narinfo.bad-signature",
      replace("Sig", `Sig: k:${"!".repeat(88)}`),
      10,
    ],
    ["signature too short", "narinfo.bad-signature", replace("Sig", "Sig: k:AAAA"), 10],
    ["bad CA", "narinfo.bad-content-address", [...BASE, "CA: fixed:sha256:xyz"], 11],
    [
      "CA digest in base64 with trailing bits",
      "narinfo.bad-content-address",
      [...BASE, `CA: fixed:sha256:${"A".repeat(42)}B=`],
      11,
    ],
  ];
  for (const [what, code, lines, line] of cases) {
    it(what, () => {
      const err = errorOf(text(lines));
      expect(err.code).toBe(code);
      expect(err.position.line).toBe(line);
      if (line !== undefined) expect(err.message).toContain(`line ${line}`);
    });
  }

  it("missing final newline, CRLF", () => {
    const t = text(BASE);
    const e1 = errorOf(t.slice(0, -1));
    expect(e1.code).toBe("narinfo.missing-final-newline");
    expect(e1.position.line).toBe(10);
    const e2 = errorOf(t.replace(/\n/g, "\r\n"));
    expect(e2.code).toBe("narinfo.malformed-line");
    expect(e2.position.line).toBe(1);
  });

  it("names the file when told", () => {
    const err = (() => {
      try {
        parseNarInfo(text(replace("NarSize", "NarSize: x")), { file: "foo.narinfo" });
      } catch (e) {
        return e as NarInfoError;
      }
      throw new Error("no error");
    })();
    expect(err.message).toMatch(/^foo\.narinfo: line 7/);
  });

  it("empty input lacks StorePath", () => {
    expect(errorOf("").code).toBe("narinfo.missing-field");
  });
});

describe("printing and store directories", () => {
  it("parses and prints with another store dir", () => {
    const t = text(BASE).replace("/nix/store/", "/gnu/store/");
    const info = parseNarInfo(t, { storeDir: "/gnu/store" });
    expect(printNarInfo(info, { storeDir: "/gnu/store" })).toBe(t);
    expect(narInfoFingerprint(info, { storeDir: "/gnu/store" })).toMatch(/^1;\/gnu\/store\//);
  });
});
