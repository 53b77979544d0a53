/**
 * JSON for store object metadata ("path info"), as Nix prints it, and conversions from a
 * narinfo.
 *
 * Two families:
 *
 * - **Nix 2.8** (`nix path-info --json`, the oracle here): a list of objects
 *   `{path, narHash, narSize, references, ca?, closureSize?, deriver?, registrationTime?,
 *   ultimate?, signatures?, url?, downloadHash?, downloadSize?, closureDownloadSize?}` with
 *   absolute paths, or `{path, valid: false}`. Binary caches add `url`, `downloadHash`,
 *   `downloadSize` (no `compression` in 2.8). {@link Nix28PathInfoJson}.
 * - **Newer Nix** store-object-info / nar-info JSON, versions 1–3 (the golden files in
 *   `libstore/path-info` and `libstore/nar-info`, JSON Schema `store-object-info-v3`):
 *   version 1 uses absolute paths and `ca`/signature strings; version 2 base names and
 *   `ca` objects; version 3 signature objects `{keyName, sig}`. Impure fields (`deriver`,
 *   `registrationTime`, `ultimate`, `signatures`) come all together or not at all, and so do
 *   the NAR fields `url` and `compression` (`downloadHash`, `downloadSize` may be absent when
 *   the narinfo has no FileHash/FileSize).
 *   {@link StoreObjectInfoJson}.
 *
 * @module
 */
import * as z from "zod";
import { base64Encode } from "../core/base64.js";
import { parseContentAddress } from "../core/content-address.js";
import { isNixCompatError } from "../core/errors.js";
import { formatHash, type HashEncoding, parseHash } from "../core/hash.js";
import { DEFAULT_STORE_DIR, parseStorePath, type StorePath } from "../core/store-path.js";
import { formatNarInfoContentAddress } from "../narinfo/print.js";
import type { NarInfo } from "../narinfo/types.js";
import { formatSignature, parseSignature } from "../signing/keys.js";
import { ContentAddressJson, HashJson, StorePathJson } from "./core.js";
import { parseWithSchema } from "./validate.js";

function checked(what: string, fn: (s: string) => unknown) {
  return z.string().superRefine((s, ctx) => {
    try {
      fn(s);
    } catch (err) {
      if (!isNixCompatError(err)) throw err;
      ctx.addIssue({ code: "custom", message: `${what}: ${err.detail}` });
    }
  });
}

/** An absolute store path in `/nix/store`. */
export const AbsoluteStorePathJson = checked("store path", (s) => parseStorePath(s));
/** A hash in any form Nix prints (`sha256:<nix32>`, `sha256:<hex>`, SRI). */
export const AnyHashJson = checked("hash", (s) => parseHash(s));
/** A content address string (`fixed:r:sha256:...`, `text:sha256:...`). */
export const ContentAddressStringJson = checked("content address", (s) => parseContentAddress(s));
/** A signature string `name:base64` (signature JSON version 1). */
export const SignatureStringJson = checked("signature", (s) => parseSignature(s));
/** A signature object (signature JSON version 2, Nix's `signature-v2`). */
export const SignatureObjectJson = z
  .strictObject({ keyName: z.string().min(1), sig: z.string() })
  .superRefine((o, ctx) => {
    try {
      parseSignature(`${o.keyName}:${o.sig}`);
    } catch (err) {
      if (!isNixCompatError(err)) throw err;
      ctx.addIssue({ code: "custom", message: err.detail, path: ["sig"] });
    }
  });

const size = z.number().int().nonnegative();

/** One element of Nix 2.8's `nix path-info --json` output (see the module documentation). */
export const Nix28PathInfoJson = z.union([
  z.strictObject({ path: AbsoluteStorePathJson, valid: z.literal(false) }),
  z.strictObject({
    path: AbsoluteStorePathJson,
    narHash: AnyHashJson,
    narSize: size,
    references: z.array(AbsoluteStorePathJson),
    ca: ContentAddressStringJson.optional(),
    closureSize: size.optional(),
    deriver: AbsoluteStorePathJson.optional(),
    registrationTime: z.number().int().optional(),
    ultimate: z.boolean().optional(),
    signatures: z.array(SignatureStringJson).optional(),
    url: z.string().optional(),
    downloadHash: AnyHashJson.optional(),
    downloadSize: size.optional(),
    closureDownloadSize: size.optional(),
  }),
]);

/** The whole output of Nix 2.8's `nix path-info --json`. */
export const Nix28PathInfoListJson = z.array(Nix28PathInfoJson);

const IMPURE = ["deriver", "registrationTime", "ultimate", "signatures"] as const;
const NAR = ["url", "compression"] as const;

function groups(o: Record<string, unknown>, ctx: z.core.$RefinementCtx<unknown>): void {
  const has = (k: string) => Object.hasOwn(o, k);
  const impure = IMPURE.filter(has);
  if (impure.length > 0 && impure.length < IMPURE.length) {
    for (const k of IMPURE.filter((k) => !has(k))) {
      ctx.addIssue({
        code: "custom",
        message: `impure field '${k}' is missing (the impure fields come together)`,
        path: [k],
      });
    }
  }
  const nar = NAR.filter(has);
  if (nar.length > 0 && nar.length < NAR.length) {
    for (const k of NAR.filter((k) => !has(k))) {
      ctx.addIssue({
        code: "custom",
        message: `NAR field '${k}' is missing (the NAR fields come together)`,
        path: [k],
      });
    }
  }
  if (nar.length > 0 && impure.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: "NAR fields need the impure fields too",
      path: ["url"],
    });
  }
}

const narFields = {
  url: z.string().optional(),
  compression: z.string().optional(),
  downloadHash: HashJson.optional(),
  downloadSize: size.optional(),
  closureSize: size.optional(),
  closureDownloadSize: size.optional(),
};

/** Store object info / nar-info JSON version 1 (absolute paths, `ca` and signatures as strings). */
export const StoreObjectInfoV1Json = z
  .strictObject({
    version: z.literal(1).optional(),
    path: AbsoluteStorePathJson.optional(),
    storeDir: z.string().optional(),
    narHash: HashJson,
    narSize: size,
    references: z.array(AbsoluteStorePathJson),
    ca: ContentAddressStringJson.nullable().optional(),
    deriver: AbsoluteStorePathJson.nullable().optional(),
    registrationTime: z.number().int().nullable().optional(),
    ultimate: z.boolean().optional(),
    signatures: z.array(SignatureStringJson).optional(),
    ...narFields,
  })
  .superRefine(groups);

/** Fields of versions 2 and 3: base names and `ca` as `{method, hash}`. */
const storeObjectInfoV2Fields = {
  path: StorePathJson.optional(),
  storeDir: z.string(),
  narHash: HashJson,
  narSize: size,
  references: z.array(StorePathJson),
  ca: ContentAddressJson.nullable(),
  deriver: StorePathJson.nullable().optional(),
  registrationTime: z.number().int().nullable().optional(),
  ultimate: z.boolean().optional(),
  ...narFields,
};

/** Version 2: base names, `ca` as `{method, hash}`, signatures as strings. */
export const StoreObjectInfoV2Json = z
  .strictObject({
    version: z.literal(2),
    ...storeObjectInfoV2Fields,
    signatures: z.array(SignatureStringJson).optional(),
  })
  .superRefine(groups);

/** Version 3 (`store-object-info-v3`): like version 2 with signatures as `{keyName, sig}`. */
export const StoreObjectInfoV3Json = z
  .strictObject({
    version: z.literal(3),
    ...storeObjectInfoV2Fields,
    signatures: z.array(SignatureObjectJson).optional(),
  })
  .superRefine(groups);

/** Any version of store object info / nar-info JSON, told apart by `version` (absent: 1). */
export const StoreObjectInfoJson = z.union([
  StoreObjectInfoV3Json,
  StoreObjectInfoV2Json,
  StoreObjectInfoV1Json,
]);

/** Validates store object info JSON of any version; throws `JsonValidationError`. */
export function parseStoreObjectInfoJson(json: unknown, options: { file?: string } = {}) {
  const version = (json as { version?: unknown } | null)?.version;
  const schema =
    version === 3
      ? StoreObjectInfoV3Json
      : version === 2
        ? StoreObjectInfoV2Json
        : StoreObjectInfoV1Json;
  return parseWithSchema(schema, json, options);
}

function abs(sp: StorePath, dir: string): string {
  return `${dir}/${sp.hash}-${sp.name}`;
}

function sortedAbs(paths: readonly StorePath[], dir: string): string[] {
  return paths
    .map((p) => `${p.hash}-${p.name}`)
    .sort()
    .map((b) => `${dir}/${b}`);
}

/** Options for {@link narInfoToNix28PathInfoJson}. */
export interface Nix28PathInfoOptions {
  /** Store directory, default `/nix/store`. */
  readonly storeDir?: string;
  /** Encoding of `narHash`/`downloadHash`: `sri` as `nix path-info --json` (default). */
  readonly hashEncoding?: HashEncoding;
}

/**
 * The element `nix path-info --json --store <binary cache>` (Nix 2.8) prints for a narinfo:
 * references and signatures sorted (Nix keeps them in sets), no `compression`.
 */
export function narInfoToNix28PathInfoJson(
  info: NarInfo,
  options: Nix28PathInfoOptions = {},
): z.output<typeof Nix28PathInfoJson> {
  const dir = options.storeDir ?? DEFAULT_STORE_DIR;
  const enc = options.hashEncoding ?? "sri";
  const out: Record<string, unknown> = {
    path: abs(info.storePath, dir),
    narHash: formatHash(info.narHash, enc),
    narSize: info.narSize,
    references: sortedAbs(info.references, dir),
  };
  if (info.ca !== undefined) out.ca = formatNarInfoContentAddress(info.ca);
  if (info.deriver !== undefined) out.deriver = abs(info.deriver, dir);
  if (info.signatures.length > 0) {
    out.signatures = [...new Set(info.signatures.map(formatSignature))].sort();
  }
  if (info.url !== "") out.url = info.url;
  if (info.fileHash !== undefined) out.downloadHash = formatHash(info.fileHash, enc);
  if (info.fileSize !== undefined && info.fileSize !== 0) out.downloadSize = info.fileSize;
  return out as z.output<typeof Nix28PathInfoJson>;
}

/**
 * The nar-info JSON (store object info with NAR fields) of a narinfo, in `version` 1, 2 or 3
 * of the newer format. `registrationTime` is `null` and `ultimate` false (a binary cache
 * knows neither).
 */
export function narInfoToStoreObjectInfoJson(
  info: NarInfo,
  version: 1 | 2 | 3 = 3,
  options: { storeDir?: string } = {},
): Record<string, unknown> {
  const dir = options.storeDir ?? DEFAULT_STORE_DIR;
  const base = (sp: StorePath) => `${sp.hash}-${sp.name}`;
  const path = version === 1 ? (sp: StorePath) => abs(sp, dir) : base;
  const ca =
    info.ca === undefined
      ? null
      : version === 1
        ? formatNarInfoContentAddress(info.ca)
        : { method: info.ca.method, hash: formatHash(info.ca.hash, "sri") };
  const signatures =
    version === 3
      ? info.signatures.map((s) => ({ keyName: s.keyName, sig: base64Encode(s.sig) }))
      : info.signatures.map(formatSignature);
  const out: Record<string, unknown> = {
    ca,
    compression: info.compression ?? "bzip2",
    deriver: info.deriver === undefined ? null : path(info.deriver),
    narHash: formatHash(info.narHash, "sri"),
    narSize: info.narSize,
    references: info.references
      .map((r) => base(r))
      .sort()
      .map((b) => (version === 1 ? `${dir}/${b}` : b)),
    registrationTime: null,
    signatures,
    storeDir: dir,
    ultimate: false,
    url: info.url,
    version,
  };
  if (info.fileHash !== undefined) out.downloadHash = formatHash(info.fileHash, "sri");
  if (info.fileSize !== undefined) out.downloadSize = info.fileSize;
  return out;
}
