/* The words the INI files use for each enum value, shared by the parser and the tools. */
#include "config.h"

#include "config/parser.h"
#include "config/vm_def.h"

const char *const pt_irqchip_names[] = {
	[PT_IRQCHIP_KERNEL] = "kernel", [PT_IRQCHIP_SPLIT] = "split", NULL
};
const char *const pt_backend_names[] = {
	[PT_BACKEND_AUTO] = "auto", [PT_BACKEND_VFIO] = "vfio", [PT_BACKEND_LEGACY] = "legacy", NULL
};
const char *const pt_interrupts_names[] = {
	[PT_INTR_AUTO] = "auto", [PT_INTR_MSIX] = "msix", [PT_INTR_MSI] = "msi",
	[PT_INTR_INTX] = "intx", NULL
};
const char *const pt_hotplug_names[] = {
	[PT_HOTPLUG_MANUAL] = "manual", [PT_HOTPLUG_ATTACH] = "attach", NULL
};
static const char *const console_names[] = {
	[PT_CONSOLE_STDIO] = "stdio", [PT_CONSOLE_PTY] = "pty", [PT_CONSOLE_FILE] = "file",
	[PT_CONSOLE_NONE] = "none", NULL
};
static const char *const rom_names[] = {
	[PT_ROM_AUTO] = "auto", [PT_ROM_OFF] = "off", [PT_ROM_FILE] = "file", NULL
};

/* The name of value v in a NULL-terminated table, "unknown" outside it. */
static const char *lookup(const char *const *names, unsigned v)
{
	for (unsigned i = 0; names[i]; i++)
		if (i == v)
			return names[i];
	return "unknown";
}

const char *pt_irqchip_name(enum pt_irqchip c) { return lookup(pt_irqchip_names, c); }
const char *pt_backend_name(enum pt_backend b) { return lookup(pt_backend_names, b); }
const char *pt_interrupts_name(enum pt_interrupts i) { return lookup(pt_interrupts_names, i); }
const char *pt_hotplug_name(enum pt_hotplug h) { return lookup(pt_hotplug_names, h); }
const char *pt_console_kind_name(enum pt_console_kind k) { return lookup(console_names, k); }
const char *pt_rom_mode_name(enum pt_rom_mode m) { return lookup(rom_names, m); }
