#!/usr/bin/env bash
# Installs the Debian packages sysvm's build and tests need, and nothing when they are
# all there already. Root runs apt-get directly; anyone else through sudo.
#   linux-source-6.12  the kernel sources the syscall catalogue is generated from
#                      (`pnpm gen:abi --check` compares against them)
#   gcc, libc6-dev     the tests compile small C programs with `cc`
#   strace             the benchmarks compare against it
#   python3            a real tracee with threads in the tests
set -euo pipefail
pkgs=(linux-source-6.12 gcc libc6-dev make strace python3 xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all packages present (${pkgs[*]})"
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "setup-debian: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
