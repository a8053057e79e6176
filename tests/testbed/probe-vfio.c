/* probe-vfio: check that an IOMMU group bound to vfio-pci can be attached to
 * a type1 container.  Used by the testbed selftest.
 *
 * usage: probe-vfio GROUP-NUMBER
 * Prints one line per step; exit status 0 when the group is viable and
 * VFIO_SET_IOMMU with VFIO_TYPE1v2_IOMMU succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

static int fail(const char *what)
{
    fprintf(stderr, "probe-vfio: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    struct vfio_group_status status = { .argsz = sizeof status };
    char path[64];
    int container, group, api;

    if (argc != 2) {
        fprintf(stderr, "usage: probe-vfio GROUP-NUMBER\n");
        return 2;
    }
    container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (container < 0)
        return fail("open /dev/vfio/vfio");
    api = ioctl(container, VFIO_GET_API_VERSION);
    printf("api %d\n", api);
    if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
        fprintf(stderr, "probe-vfio: no VFIO_TYPE1v2_IOMMU\n");
        return 1;
    }
    snprintf(path, sizeof path, "/dev/vfio/%s", argv[1]);
    group = open(path, O_RDWR | O_CLOEXEC);
    if (group < 0)
        return fail(path);
    if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0)
        return fail("VFIO_GROUP_GET_STATUS");
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        fprintf(stderr, "probe-vfio: group %s is not viable\n", argv[1]);
        return 1;
    }
    printf("group viable\n");
    if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
        return fail("VFIO_GROUP_SET_CONTAINER");
    if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
        return fail("VFIO_SET_IOMMU");
    printf("type1v2 ok\n");
    close(group);
    close(container);
    return 0;
}
