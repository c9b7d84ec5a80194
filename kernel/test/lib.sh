# SPDX-License-Identifier: GPL-2.0
# Shared by kernel/test/run and kernel/test/guest-run (sourced, bash).
#
# Cache layout, outside the repository:
#   $SYSVM_CACHE/kernel/images/<arch>-<key>/{bzImage,linux,config}  kept
#   $SYSVM_CACHE/kernel/tools-<debver>/   harness headers, gen_init_cpio.c
#   $SYSVM_CACHE/kernel/ccache/           compiler cache (fixed source path)
#   $SYSVM_CACHE/kernel/src, build-<arch> scratch, deleted after each build:
#       make goes by timestamps, so a kept tree could keep a stale object.

KTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL_DIR=$(dirname "$KTEST_DIR")
CACHE=${SYSVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sysvm}/kernel
JOBS=${SYSVM_JOBS:-2}
SRC_PKG=linux-source-6.12
SRC_TARBALL=/usr/src/$SRC_PKG.tar.xz
PACKAGES=(linux-source-6.12 qemu-system-x86 build-essential bc flex bison
	libelf-dev libssl-dev cpio gzip xz-utils python3 ccache)
export KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=sysvm KBUILD_BUILD_HOST=sysvm

log() { printf '%s\n' "kernel/test: $*" >&2; }
die() { printf '%s\n' "kernel/test: error: $*" >&2; exit 2; }

# Install what is missing with apt (skipped when everything is there).
ensure_packages() {
	local missing=() p sudo=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	log "installing ${missing[*]}"
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

deb_version() { dpkg-query -W -f='${Version}' "$SRC_PKG"; }

# The image key: Debian package version, gcc version, the fragment, and the
# code of the patches (from their first diff on: a reworded commit message
# does not change the kernel).
image_key() {
	local arch=$1 p
	{
		echo "sysvm-kernel-image v2 $arch"
		deb_version; echo
		gcc --version | head -n1
		cat "$KERNEL_DIR/config/$arch.fragment"
		for p in "$KERNEL_DIR"/patches/*.patch; do
			sed -n '/^diff --git /,$p' "$p"
		done
	} | sha256sum | cut -c1-16
}

image_dir() { echo "$CACHE/images/$1-$(image_key "$1")"; }
image_file() { [ "$1" = um ] && echo linux || echo bzImage; }

# A fresh patched tree at a fixed path (fixed so that ccache hits).
prepare_source() {
	[ -f "$CACHE/src/.sysvm-ready" ] && return 0
	rm -rf "$CACHE/src" "$CACHE/src.tmp"
	mkdir -p "$CACHE/src.tmp"
	log "extracting $SRC_TARBALL"
	tar -xJf "$SRC_TARBALL" -C "$CACHE/src.tmp"
	mv "$CACHE/src.tmp/$SRC_PKG" "$CACHE/src"
	rmdir "$CACHE/src.tmp"
	local p
	for p in "$KERNEL_DIR"/patches/*.patch; do
		patch -d "$CACHE/src" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "patch $(basename "$p") does not apply to $SRC_PKG $(deb_version)"
	done
	touch "$CACHE/src/.sysvm-ready"
}

# Build the image for $1 (x86_64 or um) unless it is cached.
build_image() {
	local arch=$1 dir file b karch=() target opt cc=gcc t0
	dir=$(image_dir "$arch")
	file=$(image_file "$arch")
	[ -f "$dir/$file" ] && return 0
	prepare_source
	b=$CACHE/build-$arch
	rm -rf "$b"
	mkdir -p "$b"
	if [ "$arch" = um ]; then karch=(ARCH=um); target=linux; else target=bzImage; fi
	if command -v ccache >/dev/null; then
		export CCACHE_DIR=$CACHE/ccache CCACHE_MAXSIZE=2G CCACHE_NOHASHDIR=1
		cc="ccache gcc"
	fi
	log "building the $arch kernel ($target, -j$JOBS), log in $b.log"
	t0=$(date +%s)
	{
		make -C "$CACHE/src" O="$b" "${karch[@]}" tinyconfig &&
		"$CACHE/src/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" \
			"$KERNEL_DIR/config/$arch.fragment" &&
		make -C "$CACHE/src" O="$b" "${karch[@]}" olddefconfig
	} >"$b.log" 2>&1 || die "configuring the $arch kernel failed, see $b.log"
	# merge_config silently drops what a dependency refuses: check every
	# `=y` and every string (CONFIG_LSM) of the fragment.
	while IFS= read -r opt; do
		grep -qxF "$opt" "$b/.config" || die "$opt did not survive olddefconfig for $arch"
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=(y|".*")$' "$KERNEL_DIR/config/$arch.fragment")
	make -C "$CACHE/src" O="$b" "${karch[@]}" CC="$cc" HOSTCC="$cc" -j"$JOBS" "$target" \
		>>"$b.log" 2>&1 || die "building the $arch kernel failed, see $b.log"
	mkdir -p "$dir.tmp"
	if [ "$arch" = um ]; then cp "$b/linux" "$dir.tmp/linux"; else cp "$b/arch/x86/boot/bzImage" "$dir.tmp/"; fi
	cp "$b/.config" "$dir.tmp/config"
	echo "$(( $(date +%s) - t0 ))" >"$dir.tmp/build-seconds"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	rm -rf "$b"
	log "$arch kernel built in $(cat "$dir/build-seconds") s: $dir/$file"
}

# The few files the tests need from the source, kept per Debian version.
tools_dir() {
	local d
	d="$CACHE/tools-$(deb_version)"
	if [ ! -f "$d/.ready" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		tar -xJf "$SRC_TARBALL" -C "$d" --strip-components=1 \
			"$SRC_PKG/tools/testing/selftests/kselftest_harness.h" \
			"$SRC_PKG/tools/testing/selftests/kselftest.h" \
			"$SRC_PKG/usr/gen_init_cpio.c"
		touch "$d/.ready"
	fi
	echo "$d"
}

# Static test binaries and the initramfs, into $1.
build_userland() {
	local out=$1 tools
	tools=$(tools_dir)
	mkdir -p "$out"
	gcc -static -O2 -Wall -Werror -I"$tools/tools/testing/selftests" \
		-o "$out/ptrace_vm_tags" "$KERNEL_DIR/selftests/ptrace_vm_tags.c"
	gcc -static -O2 -Wall -Werror -o "$out/init" "$KTEST_DIR/init.c"
	gcc -O2 -o "$out/gen_init_cpio" "$tools/usr/gen_init_cpio.c"
	cat >"$out/initramfs.list" <<-EOF
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		dir /proc 0555 0 0
		dir /tmp 1777 0 0
		dir /newroot 0755 0 0
		file /init $out/init 0755 0 0
		file /ptrace_vm_tags $out/ptrace_vm_tags 0755 0 0
	EOF
	"$out/gen_init_cpio" "$out/initramfs.list" | gzip -n >"$out/init.cpio.gz"
}

# Boot $1 (x86_64 or um) with the initramfs in $2, extra kernel arguments
# after; the console goes to stdout (carriage returns removed). A guest that
# hangs is killed after SYSVM_BOOT_TIMEOUT seconds (900).
boot_guest() {
	local arch=$1 cpio=$2 img
	shift 2
	img="$(image_dir "$arch")/$(image_file "$arch")"
	if [ "$arch" = um ]; then
		local ud
		ud=$(mktemp -d)
		# UML: no ~/.uml (uml_dir), console on stdout only, no stdin.
		timeout "${SYSVM_BOOT_TIMEOUT:-900}" "$img" mem=256M initrd="$cpio" uml_dir="$ud" con=null con0=null,fd:1 \
			quiet sysvm.off=poweroff "$@" </dev/null 2>/dev/null | tr -d '\r'
		rm -rf "$ud"
	else
		timeout "${SYSVM_BOOT_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot -nodefaults \
			-serial stdio -kernel "$img" -initrd "$cpio" \
			${SYSVM_QEMU_ARGS:-} \
			-append "console=ttyS0 panic=-1 quiet $*" </dev/null 2>&1 | tr -d '\r'
	fi
}
