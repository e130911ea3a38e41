# softvt - the two commands of the README, and a few helpers.
#   make run    install missing Debian packages, build, fetch the default guest, boot it
#   make test   install missing Debian packages, build, fetch the default guest, run every test
#   make disk   the bootable disk images (docs/DISK_IMAGE.md) in $(BUILD)/disk
BUILD ?= build
JOBS ?= $(shell nproc)
ACCEL ?= auto
MEMORY ?= 256M
APPEND ?= console=ttyS0
KERNEL ?= $(BUILD)/guest/vmlinuz-686

.PHONY: all deps build guest disk run test fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

guest: deps
	@bash scripts/fetch-guest.sh $(BUILD)

disk: guest
	@bash scripts/make-disk-image.sh $(BUILD)

run: build guest
	$(BUILD)/softvt run --accel $(ACCEL) --memory $(MEMORY) --kernel $(KERNEL) \
		--initrd $(BUILD)/guest/initramfs.cpio.gz --append "$(APPEND)"

test: build guest
	@bash scripts/run-tests.sh $(BUILD)

fuzz: build
	@bash scripts/fuzz-loaders.sh 300

clean:
	rm -rf $(BUILD)
