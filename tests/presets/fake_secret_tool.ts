// A stand-in for libsecret's `secret-tool`, shared by the anaconda preset's tests and the CLI's:
// one file per attribute set under $FAKE_KEYRING_DIR (default $HOME/.fake-keyring), every argv
// logged to calls.log there, and with FAKE_KEYRING_DOWN set it fails as a machine without a
// session bus does. `search` finds nothing, so a store replaces only its own item.
const SCRIPT = `#!/bin/sh
dir="\${FAKE_KEYRING_DIR:-$HOME/.fake-keyring}"; mkdir -p "$dir"
printf '%s|' "$@" >> "$dir/calls.log"; echo >> "$dir/calls.log"
[ -n "$FAKE_KEYRING_DOWN" ] && { echo "secret-tool: Cannot autolaunch D-Bus without X11 \\$DISPLAY" >&2; exit 1; }
cmd=$1; shift
[ "$cmd" = store ] && shift
key=$(printf '%s|' "$@" | sha1sum | cut -c1-40)
case "$cmd" in
  lookup) [ -f "$dir/$key" ] && cat "$dir/$key" || exit 1 ;;
  store) cat > "$dir/$key" ;;
  clear) [ -f "$dir/$key" ] && rm "$dir/$key" || exit 1 ;;
esac
`;

/**
 * Writes the fake as `<dir>/secret-tool`.
 *
 * @param dir The folder (put it first on PATH to stand in for the real one).
 * @returns The program's path.
 */
export async function writeFakeSecretTool(dir: string): Promise<string> {
  const path = `${dir}/secret-tool`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, SCRIPT);
  await Deno.chmod(path, 0o755);
  return path;
}
