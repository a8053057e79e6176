# src/config: VM definitions (INI files read with inih), see man/passthru.ini.5
noinst_LIBRARIES += src/config/libconfig.a
src_config_libconfig_a_SOURCES = \
	src/config/vm_def.h \
	src/config/parser.h \
	src/config/errors.c \
	src/config/guest_layout.c src/config/guest_layout.h \
	src/config/keys.c \
	src/config/names.c \
	src/config/reader.c \
	src/config/rom_file.c src/config/rom_file.h \
	src/config/sections.c \
	src/config/suggest.c \
	src/config/vm_def.c \
	src/config/vm_dir.c \
	src/config/vm_edit.c src/config/vm_edit.h \
	src/config/vm_edit_text.c src/config/vm_edit_text.h \
	src/config/vm_paths.c src/config/vm_paths.h
src_config_libconfig_a_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)

# What a program that reads VM definitions links with (in this order).
PT_CONFIG_LIBS = src/config/libconfig.a src/common/libcommon.a $(INIH_LIBS)

dist_man_MANS += man/passthru.ini.5
EXTRA_DIST += etc/passthru/vms/example.conf.sample
