# A tiny derivation for the README's examples: `nix-instantiate examples/hello.nix` writes
# examples/hello.drv's twin into the store.
derivation {
  name = "hello";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo 'Hello, world!' > $out" ];
  greeting = "Grüße, \"world\"\n";
  outputs = [ "out" "doc" ];
}
