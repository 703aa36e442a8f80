/* SPDX-License-Identifier: Apache-2.0 */
/* The benchmarks' stand-in for setfiles(8), which is not installed here:
 * Debian's Ignition relabels at the end of its files stage whatever the
 * system, and ignis does when the target's SELinux policy is active. Both
 * tools run this same program: it reads the paths to relabel from stdin
 * and exits 0. A compiled program rather than a shell script so that the
 * stand-in costs one exec (~0.6 ms), not a shell plus cat (~3 ms), which
 * would be most of a one-file run. */

#include <unistd.h>

int main(void)
{
        char buf[65536];

        while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
                ;
        return 0;
}
