/** The library's declarations whose generated code is checked in (see generated-codecs.mjs). */
export declare const GENERATED_CODECS: readonly {
  readonly module: string;
  readonly name: string;
  readonly out: string;
}[];
/** The library's declarations whose generated event writer is checked in. */
export declare const GENERATED_WRITERS: readonly {
  readonly module: string;
  readonly name: string;
  readonly out: string;
}[];
/** The declarations whose resumable decoder is checked in (see generated-codecs.mjs). */
export declare const GENERATED_RESUMABLE: readonly {
  readonly module: string;
  readonly name: string;
  readonly out: string;
}[];
