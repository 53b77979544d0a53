/**
 * The plan of an event writer: a declaration turned into the states a writer driven by events
 * passes through, and the bytes it writes between them.
 *
 * An event writer writes a value the caller gives as a sequence of events (for NAR: a
 * directory starts, an entry with its name, a regular file with its size then its contents,
 * a symlink with its target, the end of a directory or of a file) rather than as a whole value.
 * The plan derives, from the declaration alone:
 * - the *states* in which the writer waits for the caller: a choice (which alternative comes is
 *   told by the next event), a repetition (one more item, told by the item's first event, or
 *   its end), a hole (an event's value), a payload being streamed;
 * - for each state and each event allowed there, a *transition*: the fixed byte runs (adjacent
 *   tokens and u64 literals joined), the hole the event's value fills, entries into recursive
 *   rules, then everything fixed up to the next state (written eagerly: tokens closing a rule
 *   need no call);
 * - the *resumes*: where writing goes on when a recursive rule ends.
 *
 * Events are the declaration's `event` nodes (named, with their constant data telling
 * alternatives of the same name apart); a value node outside any event is an event named by its
 * rule. Events without a value (a constant, a token) are called only where they choose an
 * alternative (`directory` in NAR); elsewhere they are written as they come (`entry-end`).
 *
 * What an event writer cannot take (generation refuses it with an `Error`): counted lists,
 * optional values, head-terminated repetitions (their framing depends on values not yet given),
 * refinements and mappings of composite values (the writer never holds the whole value),
 * alternatives that do not start with an event, two alternatives starting with the same event.
 *
 * @module
 */
import type {
  AnyCodec,
  BoolNode,
  BytesNode,
  EventNode,
  LazyNode,
  PayloadNode,
  RefineNode,
  RepeatNode,
  U64Node,
} from "./codec.js";
import { encode } from "./encode.js";
import { concatBytes } from "./wire-bytes.js";

/** A node whose value the caller gives (an event's value). */
export type HoleNode = U64Node | BoolNode | BytesNode | PayloadNode;

/** The key of a keyed repetition a hole is the key of (its values must be in order). */
export interface KeySlot {
  /** Index of the repetition among the plan's keyed ones. */
  readonly slot: number;
  readonly repeat: RepeatNode;
}

/** One step of a transition. */
export type WriterAction =
  /** Fixed bytes (tokens, u64 literals, tags), adjacent ones joined. */
  | { readonly op: "fixed"; readonly bytes: Uint8Array }
  /** The event's value. `refines`: the checks on it, outermost first. */
  | {
      readonly op: "hole";
      readonly node: HoleNode;
      readonly refines: readonly RefineNode[];
      readonly key: KeySlot | undefined;
    }
  /** Enters a recursive rule: pushes where to resume when it ends. */
  | { readonly op: "push"; readonly resume: number; readonly lazy: LazyNode }
  /** A keyed repetition starts (no previous key). */
  | { readonly op: "repeat-start"; readonly slot: number }
  /** The zero padding after a payload of the announced size. */
  | { readonly op: "pad" };

/** How a transition ends: waiting in a state, or resuming the rule that called this one. */
export type WriterEnd =
  { readonly op: "state"; readonly state: number } | { readonly op: "return" };

/** What a call does in a state: actions then an end. */
export interface WriterTransition {
  readonly actions: readonly WriterAction[];
  readonly end: WriterEnd;
}

/** An event a state accepts: its name, its constant data, and what it does. */
export interface WriterEventEdge {
  readonly name: string;
  readonly data: unknown;
  /** Whether the event carries a value (else it is called with none). */
  readonly valued: boolean;
  readonly transition: WriterTransition;
}

/** A state in which the writer waits for the caller. */
export interface WriterState {
  readonly id: number;
  readonly kind: "choice" | "repeat" | "hole" | "payload";
  /** The rule of the node the state stands at (for messages). */
  readonly rule: string;
  /** The events allowed here. */
  readonly events: WriterEventEdge[];
  /** `end()` here: a repetition's end marker, or a payload's padding (then what follows). */
  end: WriterTransition | undefined;
  /** The payload being written (state kind `payload`). */
  readonly payload: PayloadNode | undefined;
}

/** The plan of a declaration's event writer. */
export interface WriterPlan {
  /** The declaration's rule. */
  readonly rule: string;
  /** What `begin()` writes. */
  readonly start: WriterTransition;
  readonly states: readonly WriterState[];
  /** Where writing goes on when a recursive rule ends, by resume id. */
  readonly resumes: readonly WriterTransition[];
  /** How many keyed repetitions there are (slots of their previous keys). */
  readonly keySlots: number;
  /** The event names, in order of first appearance. */
  readonly eventNames: readonly string[];
}

/** Internal pseudo-nodes of the walk: back to a repetition (no new start), a key field. */
type Pending =
  | AnyCodec
  | { readonly kind: "loop"; readonly repeat: RepeatNode }
  | { readonly kind: "keyed"; readonly inner: AnyCodec; readonly key: KeySlot };

/** What is left to write in the current rule: a list of nodes. */
type Cont = { readonly node: Pending; readonly next: Cont } | undefined;

/** What {@link PlanBuilder.plain} returns for a node it does not step over. */
const NOT_PLAIN: unique symbol = Symbol("not plain");

function unsupported(rule: string, what: string): Error {
  return new Error(`event writer: ${what} (rule '${rule}')`);
}

/** Whether `node` has no value of the caller's: fixed bytes and constants only. */
function valueless(node: AnyCodec): boolean {
  switch (node.kind) {
    case "token":
    case "constU64":
    case "const":
      return true;
    case "record":
      return node.fields.every(([, c]) => valueless(c));
    case "event":
      return valueless(node.inner);
    default:
      return false;
  }
}

class PlanBuilder {
  readonly states: WriterState[] = [];
  readonly resumes: WriterTransition[] = [];
  readonly eventNames: string[] = [];
  private readonly ids = new Map<unknown, number>();
  private readonly stateIndex = new Map<string, number>();
  private readonly resumeIndex = new Map<string, number>();
  private readonly slots = new Map<RepeatNode, KeySlot>();

  private id(node: unknown): number {
    let i = this.ids.get(node);
    if (i === undefined) {
      i = this.ids.size;
      this.ids.set(node, i);
    }
    return i;
  }

  private contKey(cont: Cont): string {
    const parts: string[] = [];
    for (let c = cont; c !== undefined; c = c.next) {
      const n = c.node;
      parts.push(
        n.kind === "loop"
          ? `L${this.id(n.repeat)}`
          : n.kind === "keyed"
            ? `K${this.id(n.inner)}.${n.key.slot}`
            : String(this.id(n)),
      );
    }
    return parts.join(",");
  }

  get keySlots(): number {
    return this.slots.size;
  }

  private name(name: string): void {
    if (!this.eventNames.includes(name)) this.eventNames.push(name);
  }

  /** The resume id of `cont` (scanned once). */
  resume(cont: Cont): number {
    const key = this.contKey(cont);
    let i = this.resumeIndex.get(key);
    if (i !== undefined) return i;
    i = this.resumes.length;
    this.resumeIndex.set(key, i);
    this.resumes.push(undefined as unknown as WriterTransition);
    this.resumes[i] = this.scan(cont, []);
    return i;
  }

  /**
   * One step over a node that writes no value of the caller's and decides nothing (fixed
   * bytes, constants, records, mappings, entries into recursive rules): the cont after it,
   * or {@link NOT_PLAIN} for any other node.
   */
  private plain(n: Pending, c: Cont, actions: WriterAction[]): Cont | typeof NOT_PLAIN {
    switch (n.kind) {
      case "token":
      case "constU64":
        actions.push({ op: "fixed", bytes: n.encoded });
        return c;
      case "const":
        return c;
      case "record":
        return prepend(
          n.fields.map(([, f]) => f),
          c,
        );
      case "map":
        return { node: n.inner, next: c };
      case "lazy":
        actions.push({ op: "push", resume: this.resume(c), lazy: n });
        return { node: n.get(), next: undefined };
      default:
        return NOT_PLAIN;
    }
  }

  /**
   * Writes eagerly from `cont`: fixed bytes, valueless events, entries into recursive rules,
   * until a state (or the end of the rule: return).
   */
  scan(cont: Cont, actions: WriterAction[]): WriterTransition {
    let c = cont;
    for (;;) {
      if (c === undefined) return { actions: joined(actions), end: { op: "return" } };
      const n = c.node;
      const next = this.plain(n, c.next, actions);
      if (next !== NOT_PLAIN) {
        c = next;
        continue;
      }
      c = c.next;
      switch (n.kind) {
        case "event":
          if (valueless(n.inner)) {
            c = { node: n.inner, next: c };
            break;
          }
          return this.toState(actions, this.holeState(n, undefined, c));
        case "keyed":
        case "refine":
        case "u64":
        case "bool":
        case "bytes":
        case "payload":
          return this.toState(actions, this.holeState(undefined, n, c));
        case "choice":
          return this.toState(actions, this.choiceState(n, c));
        case "repeat": {
          const key = this.keySlot(n);
          if (key !== undefined) actions.push({ op: "repeat-start", slot: key.slot });
          return this.toState(actions, this.repeatState(n, c));
        }
        case "loop":
          return this.toState(actions, this.repeatState(n.repeat, c));
        default:
          throw unsupported(n.rule, `'${n.kind}' cannot be written event by event`);
      }
    }
  }

  private toState(actions: WriterAction[], state: number): WriterTransition {
    return { actions: joined(actions), end: { op: "state", state } };
  }

  private keySlot(n: RepeatNode): KeySlot | undefined {
    if (n.key === undefined || n.pairwise === undefined) return undefined;
    let s = this.slots.get(n);
    if (s === undefined) {
      s = { slot: this.slots.size, repeat: n };
      this.slots.set(n, s);
    }
    return s;
  }

  private newState(
    key: string,
    kind: WriterState["kind"],
    rule: string,
    payload?: PayloadNode,
  ): { state: WriterState; fresh: boolean } {
    const existing = this.stateIndex.get(key);
    if (existing !== undefined) return { state: this.states[existing]!, fresh: false };
    const state: WriterState = {
      id: this.states.length,
      kind,
      rule,
      events: [],
      end: undefined,
      payload,
    };
    this.states.push(state);
    this.stateIndex.set(key, state.id);
    return { state, fresh: true };
  }

  /** The state waiting for the value of `event` (or of the bare value node `node`). */
  private holeState(event: EventNode | undefined, node: Pending | undefined, cont: Cont): number {
    const at = event ?? node!;
    const key = `H${this.id(at)}|${this.contKey(cont)}`;
    const rule =
      at.kind === "keyed" ? at.key.repeat.rule : at.kind === "loop" ? at.repeat.rule : at.rule;
    const { state, fresh } = this.newState(key, "hole", rule);
    if (fresh) this.addAlternatives(state, { node: at, next: cont }, []);
    return state.id;
  }

  private choiceState(node: Extract<AnyCodec, { kind: "choice" }>, cont: Cont): number {
    const { state, fresh } = this.newState(
      `C${this.id(node)}|${this.contKey(cont)}`,
      "choice",
      node.rule,
    );
    if (fresh) this.addAlternatives(state, { node, next: cont }, []);
    return state.id;
  }

  private repeatState(node: RepeatNode, cont: Cont): number {
    const { state, fresh } = this.newState(
      `R${this.id(node)}|${this.contKey(cont)}`,
      "repeat",
      node.rule,
    );
    if (!fresh) return state.id;
    const loop: Cont = { node: { kind: "loop", repeat: node }, next: cont };
    let item: Cont;
    const key = this.keySlot(node);
    if (key !== undefined) {
      if (node.item.kind !== "record") {
        throw unsupported(node.rule, "a keyed repetition's items must be records");
      }
      item = loop;
      for (const [k, f] of [...node.item.fields].reverse()) {
        item = { node: k === node.key ? { kind: "keyed", inner: f, key } : f, next: item };
      }
    } else item = { node: node.item, next: loop };
    this.addAlternatives(state, { node: node.more, next: item }, []);
    state.end = this.scan(cont, [{ op: "fixed", bytes: node.end.encoded }]);
    return state.id;
  }

  /**
   * Adds to `state` the alternatives starting at `cont` (after `prefix`): each ends at its first
   * event, whose value (if any) it writes, then writes on eagerly.
   */
  private addAlternatives(state: WriterState, cont: Cont, prefix: WriterAction[]): void {
    const actions = [...prefix];
    let c = cont;
    let key: KeySlot | undefined;
    for (;;) {
      if (c === undefined) throw unsupported(state.rule, "an alternative must start with an event");
      const n = c.node;
      const next = this.plain(n, c.next, actions);
      if (next !== NOT_PLAIN) {
        c = next;
        continue;
      }
      c = c.next;
      switch (n.kind) {
        case "keyed":
          key = n.key;
          c = { node: n.inner, next: c };
          continue;
        case "choice":
          for (const br of n.branches.values()) {
            this.addAlternatives(state, prepend([n.tag, br.codec], c, br.tag), actions);
          }
          return;
        case "event":
          if (valueless(n.inner)) {
            this.edge(state, n.name, n.data, false, this.scan({ node: n.inner, next: c }, actions));
            return;
          }
          this.edge(state, n.name, n.data, true, this.hole(n.inner, key, c, actions));
          return;
        case "refine":
        case "u64":
        case "bool":
        case "bytes":
        case "payload":
          this.edge(state, n.rule, undefined, true, this.hole(n, key, c, actions));
          return;
        default:
          throw unsupported(state.rule, "an alternative must start with an event");
      }
    }
  }

  /** A hole (refinements around it collected) then what follows. */
  private hole(
    node: AnyCodec,
    key: KeySlot | undefined,
    cont: Cont,
    actions: WriterAction[],
  ): WriterTransition {
    const refines: RefineNode[] = [];
    let n = node;
    while (n.kind === "refine") {
      refines.push(n);
      n = n.inner;
    }
    if (n.kind !== "u64" && n.kind !== "bool" && n.kind !== "bytes" && n.kind !== "payload") {
      throw unsupported(n.rule, `an event's value must be a u64, bool, bytes or payload`);
    }
    const out: WriterAction[] = [...actions, { op: "hole", node: n, refines, key }];
    if (n.kind !== "payload") return this.scan(cont, out);
    const { state, fresh } = this.newState(
      `P${this.id(n)}|${this.contKey(cont)}`,
      "payload",
      n.rule,
      n,
    );
    if (fresh) state.end = this.scan(cont, [{ op: "pad" }]);
    return { actions: joined(out), end: { op: "state", state: state.id } };
  }

  private edge(
    state: WriterState,
    name: string,
    data: unknown,
    valued: boolean,
    transition: WriterTransition,
  ): void {
    if (state.events.some((e) => e.name === name && sameData(e.data, data))) {
      throw unsupported(state.rule, `two alternatives start with the event '${name}'`);
    }
    this.name(name);
    state.events.push({ name, data, valued, transition });
  }
}

/** `[...nodes, ...cont]`; a choice's tag node is written as the fixed framing of `tag`. */
function prepend(nodes: readonly AnyCodec[], cont: Cont, tag?: unknown): Cont {
  let c = cont;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const node: Pending =
      i === 0 && tag !== undefined
        ? {
            kind: "token",
            rule: n.rule,
            text: "",
            body: new Uint8Array(0),
            encoded: encode(n, tag),
          }
        : n;
    c = { node, next: c };
  }
  return c;
}

/** Adjacent fixed runs joined into one. */
function joined(actions: WriterAction[]): WriterAction[] {
  const out: WriterAction[] = [];
  for (const a of actions) {
    const last = out[out.length - 1];
    if (a.op === "fixed" && last?.op === "fixed") {
      out[out.length - 1] = { op: "fixed", bytes: concatBytes([last.bytes, a.bytes]) };
    } else if (a.op !== "fixed" || a.bytes.length > 0) out.push(a);
  }
  return out;
}

/** Whether two events' constant data are the same (as JSON values). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** The plan of the event writer of `codec` (throws an `Error` on what it cannot write). */
export function writerPlan(codec: AnyCodec): WriterPlan {
  const b = new PlanBuilder();
  const start = b.scan({ node: codec, next: undefined }, []);
  return {
    rule: codec.rule,
    start,
    states: b.states,
    resumes: b.resumes,
    keySlots: b.keySlots,
    eventNames: b.eventNames,
  };
}
