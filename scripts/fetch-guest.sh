#!/bin/bash
# fetch-guest.sh [BUILD_DIR] - build the default Linux guest (guests/linux/README.md).
#
# Outputs, all under BUILD_DIR/guest (BUILD_DIR defaults to ./build):
#   vmlinuz-686, vmlinuz-686-pae   Debian bookworm i386 kernels (bzImage)
#   initramfs.cpio.gz              newc cpio: busybox-static + guests/linux/init
#                                  + the user programs BUILD_DIR/linux-progs/ in /bin
#   VERSION                        the Debian package versions used
# Intermediate files stay beside them: debs/ (downloaded .debs, reused),
# busybox (the extracted binary) and a staging tree rebuilt on each run.
#
# Everything comes from Debian through apt; nothing else is fetched. Two
# stages are cached separately, so that editing guests/linux/init only
# re-packs the initramfs and works offline once the packages were fetched:
#   1. packages: resolve, download, extract kernels and busybox (needs apt)
#   2. initramfs: staging tree + cpio + gzip (local only)
# Both are redone when this script is newer than their outputs. Stage 2 is
# also redone when the user programs (guests/linux/progs, built by CMake into
# BUILD_DIR/linux-progs: build first) are newer, or appeared or went away
# (initramfs.progs lists what the archive holds). Without them the initramfs
# is built anyway, with a warning: the tests that need them skip.
#
# Exit status: 0 ok, 2 apt could not supply the packages (no network or
# unknown packages: the guest test skips on this), 1 any other error.
set -euo pipefail

readonly KERNEL_FLAVOURS=(686 686-pae)
readonly BUSYBOX_PKG=busybox-static
readonly EXIT_APT=2

die() { echo "guest: error: $*" >&2; exit 1; }
die_apt() { echo "guest: error: $*" >&2; exit "$EXIT_APT"; }
say() { echo "guest: $*"; }

script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
init_src=$src_dir/guests/linux/init
build_dir=$(mkdir -p "${1:-./build}" && cd "${1:-./build}" && pwd)
out=$build_dir/guest
debs=$out/debs
progs_dir=$build_dir/linux-progs
readonly PROGS_BINARY=softvt-progs

[[ -f $init_src ]] || die "missing $init_src"
mkdir -p "$debs"

# One run at a time per build directory (the test and a developer may race).
exec 9>"$out/.lock"
flock 9

# up_to_date FILE DEP... : FILE exists and is newer than every DEP.
up_to_date() {
	local file=$1 dep
	shift
	[[ -e $file ]] || return 1
	for dep in "$@"; do
		[[ $file -nt $dep ]] || return 1
	done
}

pkg_outputs=("$out/busybox" "$out/VERSION")
for flavour in "${KERNEL_FLAVOURS[@]}"; do
	pkg_outputs+=("$out/vmlinuz-$flavour")
done

# packages_cached / initramfs_cached : stage 1 / stage 2 outputs are current.
packages_cached() {
	local f
	for f in "${pkg_outputs[@]}"; do
		up_to_date "$f" "$script" || return 1
	done
}
# progs_list : the user programs to put in /bin, one "NAME" per line (the
# multi-call binary first, then its links), or nothing if they were not built.
progs_list() {
	[[ -x $progs_dir/$PROGS_BINARY ]] || return 0
	echo "$PROGS_BINARY"
	find "$progs_dir" -maxdepth 1 -type l -lname "$PROGS_BINARY" -printf '%f\n' | LC_ALL=C sort
}
initramfs_cached() {
	local deps=("$script" "$init_src" "$out/busybox")
	[[ ! -x $progs_dir/$PROGS_BINARY ]] || deps+=("$progs_dir/$PROGS_BINARY")
	up_to_date "$out/initramfs.cpio.gz" "${deps[@]}" &&
		[[ -f $out/initramfs.progs && "$(progs_list)" == "$(cat "$out/initramfs.progs")" ]]
}

if packages_cached && initramfs_cached; then
	say "cached in $out"
	exit 0
fi

# ---- stage 1: Debian packages ----------------------------------------------

# candidate_version PKG : the version apt would install, or nothing.
candidate_version() {
	{ apt-cache policy "$1" 2>/dev/null || true; } |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# kernel_package FLAVOUR : linux-image-686 -> linux-image-6.1.0-NN-686.
kernel_package() {
	{ apt-cache depends "linux-image-$1:i386" 2>/dev/null || true; } |
		awk -v want="^linux-image-[0-9].*-$1(:i386)?$" \
			'$1 == "Depends:" && $2 ~ want { sub(/:i386$/, "", $2); print $2; exit }'
}

# deb_path PKG VERSION : where apt-get download puts PKG_VERSION_i386.deb.
deb_path() {
	echo "$debs/${1}_${2/:/%3a}_i386.deb"
}

# fetch_deb PKG VERSION : download the .deb into debs/, unless an earlier run
# left it there.
fetch_deb() {
	local pkg=$1 version=$2 deb
	deb=$(deb_path "$pkg" "$version")
	if [[ -s $deb ]]; then
		say "reusing $(basename "$deb")"
		return
	fi
	say "downloading $pkg $version (i386) ..."
	(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg:i386=$version") ||
		die_apt "apt-get download $pkg:i386=$version failed"
	[[ -s $deb ]] || die "apt-get download did not produce $deb"
}

# extract_member DEB PATTERN DEST : copy the one file of DEB whose path
# matches the tar wildcard PATTERN to DEST.
extract_member() {
	local deb=$1 pattern=$2 dest=$3 tmp
	tmp=$(mktemp -d "$out/extract.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -m -C "$tmp" --wildcards "$pattern" ||
		{ rm -rf "$tmp"; die "no $pattern in $(basename "$deb")"; }
	local found
	mapfile -t found < <(find "$tmp" -type f)
	[[ ${#found[@]} -eq 1 && -f ${found[0]} ]] ||
		{ rm -rf "$tmp"; die "expected one $pattern in $(basename "$deb")"; }
	mv -f "${found[0]}" "$dest"
	rm -rf "$tmp"
}

fetch_packages() {
	if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
		die_apt "apt-get and dpkg-deb are needed (a Debian host)"
	fi

	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		[[ $EUID -eq 0 ]] || die "i386 is not a dpkg architecture; run as root once (dpkg --add-architecture i386)"
		say "adding the i386 dpkg architecture"
		dpkg --add-architecture i386
	fi

	# A failing index (e.g. a security mirror half synced for i386) makes
	# apt-get update exit non-zero although the lists we need are fine:
	# warn, and judge by whether apt knows the packages below.
	if [[ $EUID -eq 0 ]]; then
		say "apt-get update ..."
		if ! apt-get update -q -o DPkg::Lock::Timeout=120 >"$out/apt-update.log" 2>&1; then
			say "warning: apt-get update reported errors; checking the packages anyway:"
			grep '^E:' "$out/apt-update.log" | cut -c1-150 | sed 's/^/guest:   /' || true
		fi
	else
		say "warning: not root, using the existing apt lists"
	fi

	local flavour pkg version deb versions=()
	for flavour in "${KERNEL_FLAVOURS[@]}"; do
		pkg=$(kernel_package "$flavour")
		[[ -n $pkg ]] || die_apt "apt does not know linux-image-$flavour:i386 (apt-get update failed, or it is not in the apt sources: see $out/apt-update.log)"
		version=$(candidate_version "$pkg:i386")
		[[ -n $version ]] || die_apt "apt has no candidate for $pkg:i386"
		fetch_deb "$pkg" "$version"
		deb=$(deb_path "$pkg" "$version")
		say "extracting vmlinuz from $(basename "$deb")"
		extract_member "$deb" "./boot/vmlinuz-*" "$out/vmlinuz-$flavour"
		versions+=("$pkg:i386 $version")
	done

	version=$(candidate_version "$BUSYBOX_PKG:i386")
	[[ -n $version ]] || die_apt "apt does not know $BUSYBOX_PKG:i386 (apt-get update failed, or it is not in the apt sources: see $out/apt-update.log)"
	fetch_deb "$BUSYBOX_PKG" "$version"
	deb=$(deb_path "$BUSYBOX_PKG" "$version")
	say "extracting busybox from $(basename "$deb")"
	extract_member "$deb" "./bin/busybox" "$out/busybox"
	chmod 0755 "$out/busybox"
	versions+=("$BUSYBOX_PKG:i386 $version")

	printf '%s\n' "${versions[@]}" >"$out/VERSION"
}

if packages_cached; then
	say "packages cached ($(paste -sd, "$out/VERSION"))"
else
	fetch_packages
fi

# ---- stage 2: initramfs ----------------------------------------------------

# Applets /init runs before its `busybox --install -s` has made the rest.
readonly INIT_APPLETS=(sh mount mkdir echo uname hostname setsid cttyhack poweroff)

[[ $EUID -eq 0 ]] || die "building the initramfs needs root (mknod /dev/console)"
command -v cpio >/dev/null || die "cpio is needed: apt-get install cpio"

stage=$out/staging
say "building the initramfs in $stage"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"
install -m 0755 "$init_src" "$stage/init"
install -m 0755 "$out/busybox" "$stage/bin/busybox"
mknod -m 0600 "$stage/dev/console" c 5 1
mknod -m 0666 "$stage/dev/null" c 1 3
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# The user programs: the multi-call binary (debug info stripped) and its links.
progs=$(progs_list)
if [[ -n $progs ]]; then
	say "adding the user programs to /bin: $(tr '\n' ' ' <<<"$progs")"
	strip --strip-debug -o "$stage/bin/$PROGS_BINARY" "$progs_dir/$PROGS_BINARY" 2>/dev/null ||
		cp "$progs_dir/$PROGS_BINARY" "$stage/bin/$PROGS_BINARY"
	chmod 0755 "$stage/bin/$PROGS_BINARY"
	while read -r name; do
		[[ $name == "$PROGS_BINARY" ]] || ln -s "$PROGS_BINARY" "$stage/bin/$name"
	done <<<"$progs"
else
	say "warning: no user programs in $progs_dir (build first: make build); the initramfs has none"
fi

# Link every applet when the host can run the i386 binary (IA32
# emulation), else only those /init needs: it installs the rest at boot.
if applets=$("$stage/bin/busybox" --list-full 2>/dev/null) && [[ -n $applets ]]; then
	say "linking $(wc -l <<<"$applets") applets (busybox --list-full)"
else
	say "cannot run the i386 busybox here; linking the applets /init needs"
	applets=$(printf 'bin/%s\n' "${INIT_APPLETS[@]}")
fi
while read -r path; do
	[[ -e $stage/$path ]] || ln -s /bin/busybox "$stage/$path"
done <<<"$applets"
for applet in "${INIT_APPLETS[@]}"; do
	[[ -L $stage/bin/$applet || -L $stage/sbin/$applet ||
		-L $stage/usr/bin/$applet || -L $stage/usr/sbin/$applet ]] ||
		die "this busybox has no '$applet' applet, which /init needs"
done

# Fixed timestamps and sorted names: the same inputs give the same archive.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -9 -n >"$out/initramfs.cpio.gz.new"
mv -f "$out/initramfs.cpio.gz.new" "$out/initramfs.cpio.gz"
printf '%s' "$progs" >"$out/initramfs.progs"

say "done, in $out:"
for f in "${pkg_outputs[@]}" "$out/initramfs.cpio.gz"; do
	[[ $f == */busybox || $f == */VERSION ]] && continue
	printf 'guest:   %-20s %6s KiB\n' "$(basename "$f")" $(($(stat -c %s "$f") / 1024))
done
sed 's/^/guest:   package /' "$out/VERSION"
