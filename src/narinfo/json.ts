/**
 * The `narinfo show` JSON of a parsed narinfo (the shape is documented, and validated with
 * zod, in `src/schemas/narinfo.ts`, whose schema is checked against {@link NarInfoJsonValue}).
 * Apart from the schema so that printing it loads no zod.
 *
 * @module
 */
import { formatHash } from "../core/hash.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { formatSignature } from "../signing/keys.js";
import { formatNarInfoContentAddress } from "./print.js";
import { narInfoQuirks } from "./quirks.js";
import type { NarInfo } from "./types.js";

/** The `narinfo show` JSON of a narinfo (see `src/schemas/narinfo.ts`). */
export interface NarInfoJsonValue {
  /** `/nix/store/<hash>-<name>`. */
  storePath: string;
  /** `URL`. */
  url: string;
  /** `Compression`, null when absent (Nix reads bzip2). */
  compression: string | null;
  /** `FileHash` as written, or null. */
  fileHash: string | null;
  /** `FileSize`, or null. */
  fileSize: number | null;
  /** `NarHash` as written. */
  narHash: string;
  /** `NarSize`. */
  narSize: number;
  /** Base names, in file order. */
  references: string[];
  /** Base name of the deriver, or null. */
  deriver: string | null;
  /** `System`, or null. */
  system: string | null;
  /** `Sig` values, `name:base64`. */
  signatures: string[];
  /** `CA` as written, or null. */
  ca: string | null;
  /** Fields the model does not know, in order. */
  unknownFields: { key: string; value: string }[];
  /** What printing the file back needs beyond the fields. */
  quirks: { referencesAbsent: boolean; unknownDeriver: boolean; fieldOrder: string[] | null };
  /** `narInfoQuirks` names, informational (ignored on input). */
  flags?: string[] | undefined;
}

/** Options for the JSON conversions. */
export interface NarInfoJsonOptions {
  /** Store directory, default `/nix/store`. */
  readonly storeDir?: string;
}

/** The `narinfo show` JSON of a narinfo. */
export function narInfoToJson(info: NarInfo, options: NarInfoJsonOptions = {}): NarInfoJsonValue {
  const dir = options.storeDir ?? DEFAULT_STORE_DIR;
  const q = info.quirks;
  return {
    storePath: `${dir}/${info.storePath.hash}-${info.storePath.name}`,
    url: info.url,
    compression: info.compression ?? null,
    fileHash: info.fileHash === undefined ? null : formatHash(info.fileHash, q.fileHashEncoding),
    fileSize: info.fileSize ?? null,
    narHash: formatHash(info.narHash, q.narHashEncoding),
    narSize: info.narSize,
    references: info.references.map((r) => `${r.hash}-${r.name}`),
    deriver: info.deriver === undefined ? null : `${info.deriver.hash}-${info.deriver.name}`,
    system: info.system ?? null,
    signatures: info.signatures.map(formatSignature),
    ca: info.ca === undefined ? null : formatNarInfoContentAddress(info.ca, q.caHashEncoding),
    unknownFields: info.unknownFields.map((f) => ({ key: f.key, value: f.value })),
    quirks: {
      referencesAbsent: q.referencesAbsent && info.references.length === 0,
      unknownDeriver: q.unknownDeriver && info.deriver === undefined,
      fieldOrder: q.fieldOrder === undefined ? null : [...q.fieldOrder],
    },
    flags: narInfoQuirks(info),
  };
}
