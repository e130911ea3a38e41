#!/usr/bin/env bash
# Installs the Debian packages softvt needs to build, test and fetch its default guest.
# Idempotent and quiet when everything is already there; run as root (or with sudo).
set -euo pipefail

packages=(
	build-essential cmake pkg-config         # the build
	libzydis-dev libcapstone-dev             # x86 decoder/encoder; an independent decoder for tests
	libelf-dev zlib1g-dev                    # Multiboot ELF loader; compressed console fonts
	libsdl2-dev console-setup-linux          # optional --display sdl window and its font
	check                                    # unit tests
	gcc-multilib nasm                        # guest-side code (test guests, BIOS)
	clang libclang-rt-14-dev                 # the loader fuzzer (libFuzzer)
	cpio gzip xz-utils                       # the default guest's initramfs
	python3                                  # test scripts that read JSON (softvt demo, --stats-json)
	qemu-system-x86                          # reference runs of the test guests and the Linux guest
	syslinux syslinux-common extlinux        # the disk images' bootloaders (scripts/make-disk-image.sh)
	grub-pc-bin mtools dosfstools fdisk      # ... and the tools that build them without mounting
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { echo "deps: missing ${missing[*]}; run this script as root" >&2; exit 1; }
	sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An out-of-sync index (seen for i386 security updates) must not stop us: apt-get install
# below fails clearly if a package is really unavailable.
"${sudo[@]}" apt-get update -qq || echo "deps: apt-get update reported errors; trying to install anyway" >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
