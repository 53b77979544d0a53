import { it, expect } from "vitest";
import { runCliInProcess } from "../support/cli-inprocess.js";
it("scratch", async () => {
  const a = await runCliInProcess(["derivation", "show", "fixtures/derivation/ok/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv"]);
  console.log(a.status, a.stdout.length, a.stderr, a.ms);
  const b = await runCliInProcess(["key", "convert-secret-to-public"], { input: "x:abc" });
  console.log(b.status, b.stdout.toString(), b.stderr, b.ms);
  const c = await runCliInProcess(["derivation", "aterm", "/tmp/hd/bad.json"]);
  console.log(c.status, c.stdout.toString(), c.stderr, c.ms);
  const d = await runCliInProcess(["derivation", "aterm", "-"], {input: "{}"});
  console.log(d.status, d.stdout.toString(), d.stderr, d.ms);
  const e = await runCliInProcess(["hash", "to-base16", "sha256:xyz"]);
  console.log(e.status, e.stdout.toString(), e.stderr, e.ms);
  const f = await runCliInProcess(["nar", "ls", "fixtures/nar/complicated.nar", "/"]);
  console.log(f.status, f.stdout.toString(), f.stderr, f.ms);
  const g = await runCliInProcess(["derivation", "bogus"]);
  console.log(g.status, g.stdout.toString(), g.stderr, g.ms);
});
