noinst_LIBRARIES += src/common/libcommon.a
src_common_libcommon_a_SOURCES = \
	src/common/bdf.c src/common/bdf.h \
	src/common/cleanup.h \
	src/common/clock.h \
	src/common/exit_status.h \
	src/common/files.c src/common/files.h \
	src/common/lockfile.c src/common/lockfile.h \
	src/common/log.c src/common/log.h \
	src/common/memlock.c src/common/memlock.h \
	src/common/parse.c src/common/parse.h \
	src/common/pidfile.c src/common/pidfile.h \
	src/common/run_dir.c src/common/run_dir.h \
	src/common/signals.c src/common/signals.h \
	src/common/text.c src/common/text.h
