/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `migguard check VM DESTURI`: the destination hook's verdicts before
 * `virsh migrate` is typed.  The parity checks are the hook's own code
 * (parity_check) answered through a connection to the destination; image
 * directories and free space are read from the destination's storage
 * pools where one covers the directory.  The local policy stands in for
 * the destination's: one policy on every host is the expected deployment.
 * Also the trap libvirt reports only after the migration started: the
 * destination's hostname must resolve here to a non-loopback address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "basic/alloc-util.h"
#include "cli.h"
#include "core/domain-xml.h"
#include "core/finding.h"
#include "core/virt-util.h"
#include "parity/parity-libvirt.h"
#include "basic/path-util.h"
#include "core/policy.h"
#include "converge/convergence.h"
#include "provision/provision.h"
#include "storage/storage-identity.h"
#include "storage/storage-pool-view.h"

typedef struct Verdicts {
        unsigned refused, warned;
} Verdicts;

_printf_(4, 5) static void say(Verdicts *v, const char *verdict, const char *check, const char *fmt, ...) {
        va_list ap;
        printf("%-6s  %-11s  ", verdict, check);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (streq(verdict, "refuse"))
                v->refused++;
        else if (streq(verdict, "warn"))
                v->warned++;
}

static int check_parity(Verdicts *v, const Policy *p, const DomainXml *d, virConnectPtr dst, const char *dname) {
        ParityHost h = { .conn = dst };
        ParityResult res = { 0 };
        if (parity_check(p, d, &parity_libvirt_ops, &h, &res) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < res.refusals.n; i++)
                say(v, "refuse", strna(check_kind_to_string(res.refusals.items[i].check)), "%s",
                    res.refusals.items[i].text);
        for (size_t i = 0; i < res.warnings.n; i++)
                say(v, "warn", strna(check_kind_to_string(res.warnings.items[i].check)), "%s",
                    res.warnings.items[i].text);
        static const struct {
                CheckKind check;
                const char *ok;
        } oks[] = {
                { CHECK_KIND_CPU, "the guest's CPU runs on %s (libvirt's CPU comparison)" },
                { CHECK_KIND_VCPUS, "%s has CPUs enough for the guest's vCPUs" },
                { CHECK_KIND_NETWORK, "every interface finds its network, bridge or device on %s" },
        };
        for (size_t i = 0; i < ELEMENTSOF(oks); i++)
                if (!findings_have(&res.refusals, oks[i].check) && !findings_have(&res.warnings, oks[i].check))
                        say(v, "ok", check_kind_to_string(oks[i].check), oks[i].ok, dname);
        parity_result_done(&res);
        return 0;
}

/* A disk the destination hook would have to provision: policy, directory
 * and free space as far as the destination's storage pools show them. */
static void check_missing_image(Verdicts *v, const Policy *p, virConnectPtr dst, virDomainPtr dom,
                                const DomainDisk *disk) {
        _cleanup_free_ char *dir = NULL;
        if (!p->provision_enabled) {
                say(v, "warn", "provision",
                    "disk %s: '%s' is not on the destination and [provision] is off: create it there first",
                    disk->target, disk->source);
                return;
        }
        _cleanup_free_ char *why = NULL;
        if (provision_policy_refusal(p, disk, &why) != 0) {
                say(v, "refuse", "provision", "disk %s: %s", disk->target, why ? why : "out of memory");
                return;
        }
        if (path_split(disk->source, &dir, NULL) < 0)
                return;
        _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = virStoragePoolLookupByTargetPath(dst, dir);
        virStoragePoolInfo info;
        if (!pool || virStoragePoolGetInfo(pool, &info) < 0 || info.state != VIR_STORAGE_POOL_RUNNING ||
            info.capacity == 0) {
                say(v, "ok", "provision",
                    "disk %s: '%s' will be provisioned (free space in %s not visible: no active storage pool)",
                    disk->target, disk->source, dir);
                return;
        }
        unsigned long long pct = info.available * 100 / info.capacity;
        _cleanup_free_ char *full = NULL;
        if (provision_free_space_refusal(p, dir, pct, &full) != 0) {
                say(v, "refuse", "provision", "disk %s: %s", disk->target, full ? full : "out of memory");
                return;
        }
        virDomainBlockInfo bi;
        if (virDomainGetBlockInfo(dom, disk->target, &bi, 0) == 0 && bi.allocation > info.available)
                say(v, "warn", "provision", "disk %s: holds %llu MiB of data, %s has %llu MiB available", disk->target,
                    bi.allocation >> 20, dir, info.available >> 20);
        else
                say(v, "ok", "provision", "disk %s: '%s' will be provisioned in %s (%llu%% free)", disk->target,
                    disk->source, dir, pct);
}

static void check_disks(Verdicts *v, const Policy *p, const DomainXml *d, virConnectPtr dst, virDomainPtr dom) {
        for (size_t i = 0; i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];
                if (!disk_is_copy_candidate(disk) || !streq(disk->type, "file"))
                        continue;
                _cleanup_free_ char *bad_path = NULL;
                if (provision_path_refusal(disk, &bad_path) != 0) {
                        say(v, "refuse", "provision", "disk %s: %s", disk->target,
                            bad_path ? bad_path : "out of memory");
                        continue;
                }
                _cleanup_(virStorageVolFreep) virStorageVolPtr vol = virStorageVolLookupByPath(dst, disk->source);
                if (vol)
                        say(v, "ok", "provision", "disk %s: '%s' exists on the destination: used as is", disk->target,
                            disk->source);
                else
                        check_missing_image(v, p, dst, dom, disk);
        }
}

/* Shared storage: what the source's disk is on, against what the
 * destination's libvirt shows (a network pool over that directory).  The
 * rest only the destination's hook can see, and it checks it. */
static void check_storage_disk(Verdicts *v, const Policy *p, const DomainDisk *disk, virConnectPtr dst) {
        _cleanup_(storage_identity_done) StorageIdentity here = { 0 };
        _cleanup_(pool_view_done) PoolView view = { 0 };
        const char *mode = p->storage_identity == CHECK_ENFORCE ? "refuse" : "warn";

        if (storage_identity_of(NULL, disk->source, &here) < 0 || !storage_identity_is_shared(&here))
                return;
        if (here.kind != STORAGE_SHARED_FS || pool_view_of(dst, disk->source, &view) <= 0) {
                say(v, "ok", "storage",
                    "disk %s: %s is shared storage here; the destination's hook proves it is the same there when "
                    "the migration starts (not visible through its libvirt)",
                    disk->target, disk->source);
                return;
        }
        if (streq_ptr(view.source, here.source))
                say(v, "ok", "storage", "disk %s: %s is on %s %s here and in the destination's pool %s", disk->target,
                    disk->source, here.fstype, here.source, view.name);
        else
                say(v, mode, "storage",
                    "disk %s: %s is on %s %s here, the destination's pool %s mounts %s there: another export",
                    disk->target, disk->source, strna(here.fstype), strna(here.source), view.name, view.source);
}

static void check_storage(Verdicts *v, const Policy *p, const DomainXml *d, virConnectPtr dst) {
        if (p->storage_identity == CHECK_OFF)
                return;
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].source && (streq(d->disks[i].type, "file") || streq(d->disks[i].type, "block")))
                        check_storage_disk(v, p, &d->disks[i], dst);
}

static bool is_loopback(const struct sockaddr *sa) {
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
        return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *) sa)->sin6_addr);
}

/* libvirt's destination offers "tcp://ITS-HOSTNAME" as migration URI unless
 * its qemu.conf sets migration_host; the source must resolve that name. */
static void check_resolution(Verdicts *v, virConnectPtr dst) {
        _cleanup_free_ char *host = virConnectGetHostname(dst);
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
        if (!host) {
                say(v, "warn", "resolve", "cannot read the destination's hostname");
                return;
        }
        int r = getaddrinfo(host, NULL, &hints, &ai);
        if (r == 0 && !ai)
                r = EAI_NONAME;
        if (r != 0) {
                say(v, "refuse", "resolve",
                    "destination hostname '%s' does not resolve here (%s): virsh migrate fails with 'Unable to "
                    "resolve address' unless its qemu.conf sets migration_host; fix DNS or /etc/hosts, or pass "
                    "--migrateuri tcp://ADDRESS",
                    host, gai_strerror(r));
                return;
        }
        const struct addrinfo *usable = NULL;
        for (const struct addrinfo *a = ai; a && !usable; a = a->ai_next)
                if (!is_loopback(a->ai_addr))
                        usable = a;
        char addr[INET6_ADDRSTRLEN] = "?";
        const struct addrinfo *shown = usable ? usable : ai;
        (void) getnameinfo(shown->ai_addr, shown->ai_addrlen, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
        if (usable)
                say(v, "ok", "resolve", "destination hostname '%s' resolves to %s", host, addr);
        else
                say(v, "refuse", "resolve",
                    "destination hostname '%s' resolves to loopback (%s) here: the migration would connect to "
                    "this host; fix DNS or /etc/hosts, or pass --migrateuri tcp://ADDRESS",
                    host, addr);
        freeaddrinfo(ai);
}

/* Will it converge?  The guest's dirty rate, measured now over two
 * windows, against the bandwidth and the max downtime (converge/). */
static void check_convergence(Verdicts *v, virDomainPtr dom, unsigned long bandwidth_mib) {
        _cleanup_(convergence_done) Convergence c = { 0 };
        if (virDomainIsActive(dom) != 1) {
                say(v, "ok", "convergence", "the guest is not running: nothing to forecast");
                return;
        }
        int r = convergence_check(dom, bandwidth_mib, deadline_in(30 * USEC_PER_SEC), &c);
        if (r == -EBUSY)
                say(v, "warn", "convergence", "the guest is migrating now: its dirty rate is not measured then");
        else if (r < 0)
                say(v, "warn", "convergence", "cannot measure the guest's dirty rate: %s",
                    r == -EIO ? virt_last_error_message() : strerror(-r));
        else
                say(v, c.forecast.converges ? "ok" : "warn", "convergence", "%s", c.text);
}

static int parse_bandwidth(const char *s, unsigned long *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v == 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int cli_check(int argc, char *argv[]) {
        static const struct option opts[] = { { "connect", required_argument, NULL, 'c' },
                                              { "config", required_argument, NULL, 'f' },
                                              { "bandwidth", required_argument, NULL, 'b' },
                                              { "no-convergence", no_argument, NULL, 'n' },
                                              {} };
        const char *uri = DEFAULT_URI, *conf = cli_paths()->config_file;
        unsigned long bandwidth = 0;
        bool convergence = true;
        for (int c; (c = getopt_long(argc, argv, "c:f:b:n", opts, NULL)) != -1;) {
                if (c == 'c')
                        uri = optarg;
                else if (c == 'f')
                        conf = optarg;
                else if (c == 'b' && parse_bandwidth(optarg, &bandwidth) >= 0)
                        continue;
                else if (c == 'n')
                        convergence = false;
                else
                        return cli_usage();
        }
        if (argc - optind != 2)
                return cli_usage();
        const char *name = argv[optind], *desturi = argv[optind + 1];

        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL, *xml = NULL;
        if (policy_load(conf, &p, &err) < 0) {
                fprintf(stderr, "migguard: %s\n", err ? err : "cannot load policy");
                return EXIT_USAGE;
        }
        /* read-write: libvirt gives the migratable definition to those only */
        _cleanup_(virConnectClosep) virConnectPtr src = cli_connect(uri, false);
        if (!src)
                return EXIT_UNREACHABLE;
        _cleanup_(virDomainFreep) virDomainPtr dom = cli_lookup_domain(src, uri, name);
        if (!dom)
                return EXIT_UNREACHABLE;
        /* what the source sends: the migratable definition, live metadata included */
        xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE);
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        if (!xml)
                err = virt_last_error();
        else if (domain_xml_parse(xml, strlen(xml), &d, &err) < 0 && !err)
                err = strdup("unreadable");
        if (err || !d) {
                fprintf(stderr, "migguard: cannot read the definition of %s: %s\n", name, strna(err));
                return EXIT_UNREACHABLE;
        }
        /* the destination applies the domain's own settings: so does check */
        if (policy_apply_domain(p, d->policy_override, &err) < 0) {
                fprintf(stderr, "migguard: %s\n", strna(err));
                return EXIT_USAGE;
        }
        /* read-write: libvirt's CPU comparison needs it */
        _cleanup_(virConnectClosep) virConnectPtr dst = cli_connect(desturi, false);
        if (!dst)
                return EXIT_UNREACHABLE;

        Verdicts v = { 0 };
        check_resolution(&v, dst);
        if (check_parity(&v, p, d, dst, desturi) < 0)
                return EXIT_UNREACHABLE;
        check_disks(&v, p, d, dst, dom);
        check_storage(&v, p, d, dst);
        if (convergence)
                check_convergence(&v, dom, bandwidth);
        if (v.refused)
                printf("%s -> %s: REFUSED (%u refusal(s), %u warning(s)): the destination's migguard would stop "
                       "this migration\n",
                       name, desturi, v.refused, v.warned);
        else
                printf("%s -> %s: ok (%u warning(s))\n", name, desturi, v.warned);
        return v.refused ? EXIT_REFUSED : EXIT_OK;
}
