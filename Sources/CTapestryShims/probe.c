// Probes for `tapestry doctor`: what the kernel's TUN driver offers.
#include "CTapestryShims.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

int tp_tun_features(unsigned int *features) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    unsigned int f = 0;
    int r = ioctl(fd, TUNGETFEATURES, &f);
    int e = errno;
    close(fd);
    if (r < 0) return -e;
    *features = f;
    return 0;
}
