# src/ctl: passthru-ctl, one file per subcommand, documented in man/passthru-ctl.8.
sbin_PROGRAMS += src/ctl/passthru-ctl
src_ctl_passthru_ctl_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
src_ctl_passthru_ctl_SOURCES = \
	src/ctl/backends.c \
	src/ctl/cmd_attach.c \
	src/ctl/cmd_check.c \
	src/ctl/cmd_check_device.c \
	src/ctl/cmd_console.c \
	src/ctl/cmd_devices.c \
	src/ctl/cmd_list.c \
	src/ctl/cmd_prepare.c \
	src/ctl/cmd_recover.c \
	src/ctl/cmd_routes.c \
	src/ctl/cmd_run.c \
	src/ctl/cmd_start.c \
	src/ctl/cmd_status.c \
	src/ctl/cmd_stop.c \
	src/ctl/cmd_validate.c \
	src/ctl/control_client.c src/ctl/control_client.h \
	src/ctl/ctl.h \
	src/ctl/fault.c \
	src/ctl/host_prep.c src/ctl/host_prep.h \
	src/ctl/json_out.c src/ctl/json_out.h \
	src/ctl/main.c \
	src/ctl/prep_verdict.c \
	src/ctl/table.c src/ctl/table.h \
	src/ctl/vm_devices.c src/ctl/vm_devices.h \
	src/ctl/vm_runtime.c src/ctl/vm_runtime.h
src_ctl_passthru_ctl_LDADD = src/assign/libassign.a src/route/libroute.a src/config/libconfig.a \
	$(HOST_LIBS) $(INIH_LIBS)
dist_man_MANS += man/passthru-ctl.8
