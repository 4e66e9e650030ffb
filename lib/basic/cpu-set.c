/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU list parsing and formatting (see cpu-set.h). */
#include "basic/cpu-set.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/fileio.h"

int cpu_set_parse(const char *s, cpu_set_t *ret) {
        cpu_set_t set;
        const char *p = s;

        CPU_ZERO(&set);
        if (!*s)
                return -EINVAL;
        for (;;) {
                char *end;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                unsigned long a = strtoul(p, &end, 10), b = a;
                p = end;
                if (*p == '-') {
                        p++;
                        if (!isdigit((unsigned char) *p))
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                        p = end;
                }
                if (a > b || b >= CPU_SETSIZE)
                        return -EINVAL;
                for (unsigned long c = a; c <= b; c++)
                        CPU_SET(c, &set);
                if (!*p)
                        break;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }
        *ret = set;
        return 0;
}

int cpu_set_format(const cpu_set_t *set, char *buf, size_t len) {
        size_t n = 0;
        if (len == 0)
                return -ENOBUFS;
        buf[0] = 0;
        for (int c = 0; c < CPU_SETSIZE; c++) {
                if (!CPU_ISSET(c, set))
                        continue;
                int e = c;
                while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
                        e++;
                int k = e == c ? snprintf(buf + n, len - n, "%s%d", n ? "," : "", c)
                               : snprintf(buf + n, len - n, "%s%d-%d", n ? "," : "", c, e);
                if (k < 0 || (size_t) k >= len - n)
                        return -ENOBUFS;
                n += (size_t) k;
                c = e;
        }
        return 0;
}

int cpus_online(const char *sys_root, cpu_set_t *ret) {
        char path[256], buf[1024];
        snprintf(path, sizeof(path), "%s/devices/system/cpu/online", sys_root);
        int r = read_one_line_file(path, buf, sizeof(buf));
        return r < 0 ? r : cpu_set_parse(buf, ret);
}
