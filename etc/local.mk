# etc
# The boot-time recovery unit (passthru-ctl recover), installed beside the
# template unit of src/vmm/local.mk, which orders itself after it.
systemdunit_DATA += etc/systemd/passthru-recover.service
EXTRA_DIST += etc/systemd/passthru-recover.service.in
CLEANFILES += etc/systemd/passthru-recover.service
etc/systemd/passthru-recover.service: etc/systemd/passthru-recover.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/systemd && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
		$(srcdir)/etc/systemd/passthru-recover.service.in > $@.tmp && mv $@.tmp $@
