/*
 * Every KVM_EXIT_* reason, KVM_INTERNAL_ERROR_* suberror and KVM_SYSTEM_EVENT_*
 * type that the installed <linux/kvm.h> defines has its own name in the VMM's
 * reports: the header is read at run time, so a newer header shows what is new.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmm/exit_names.h"

#ifndef KVM_HEADER
#define KVM_HEADER "/usr/include/linux/kvm.h"
#endif

static void check(struct tap *t, const char *prefix, const char *(*name)(uint32_t),
		  const char *skip_re)
{
	FILE *f = fopen(KVM_HEADER, "r");
	char line[512], pat[128];
	regex_t re, skip;
	int found = 0;

	snprintf(pat, sizeof(pat), "^#define[ \t]+(%s[A-Z0-9_]+)[ \t]+([0-9]+)", prefix);
	regcomp(&re, pat, REG_EXTENDED);
	regcomp(&skip, skip_re, REG_EXTENDED | REG_NOSUB);
	if (!f) {
		tap_ok(t, 0, "open %s", KVM_HEADER);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		regmatch_t m[3];
		char def[96];
		unsigned long v;
		const char *got;

		if (regexec(&re, line, 3, m, 0))
			continue;
		snprintf(def, sizeof(def), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
		if (!regexec(&skip, def, 0, NULL, 0))
			continue;
		v = strtoul(line + m[2].rm_so, NULL, 10);
		got = name((uint32_t)v);
		found++;
		tap_is_str(t, got, def, "%s (%lu) is reported by name", def, v);
	}
	fclose(f);
	regfree(&re);
	regfree(&skip);
	tap_ok(t, found > 3, "the header defines %d %s* values", found, prefix);
}

int main(void)
{
	struct tap t = { 0 };

	/* Sub-codes of other exits share the prefix: KVM_EXIT_IO_IN, KVM_EXIT_HYPERV_*, ... */
	check(&t, "KVM_EXIT_", pt_kvm_exit_name,
	      "^KVM_EXIT_(IO_IN|IO_OUT|HYPERV_[A-Z]|XEN_HCALL)");
	check(&t, "KVM_INTERNAL_ERROR_", pt_kvm_internal_error_name, "_FLAG_");
	check(&t, "KVM_SYSTEM_EVENT_", pt_kvm_system_event_name, "^$");
	tap_ok(&t, pt_kvm_exit_name(1000) == NULL, "an unknown exit number has no name");
	return tap_done(&t);
}
