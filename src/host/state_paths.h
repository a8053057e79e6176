/*
 * Where passthru records the host changes it makes (DESIGN.md "State and recovery").
 * Every path is relative to the sysroot (host/sysroot.h); RUNSTATEDIR comes from
 * configure (--runstatedir, /run on a distribution build).
 *
 * PT_DEVICE_STATE_DIR/<bdf>.json, one file per assigned PCI function, named by its
 * canonical address ("0000:03:00.0.json"), is written before the device is taken
 * from its host driver and removed after it is given back. It holds one JSON object:
 *   "bdf"             the canonical address (string, equal to the file name's)
 *   "vm"              the VM it is assigned to (string)
 *   "backend"         "vfio" or "legacy"
 *   "original_driver" the host driver to rebind on release (string or null)
 * Readers must ignore keys they do not know. The inventory reads "vm" only.
 */
#ifndef PT_HOST_STATE_PATHS_H
#define PT_HOST_STATE_PATHS_H

#ifndef RUNSTATEDIR
#error "RUNSTATEDIR must come from the build (AM_CPPFLAGS)"
#endif

#define PT_STATE_DIR RUNSTATEDIR "/passthru"
#define PT_DEVICE_STATE_DIR PT_STATE_DIR "/devices"
#define PT_DEVICE_STATE_SUFFIX ".json"

#endif
