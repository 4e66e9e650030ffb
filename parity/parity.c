/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parity decisions (see parity.h).  Every mismatch is reported, not just the first. */
#include "parity/parity.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/strv.h"
#include "core/finding.h"

void parity_result_done(ParityResult *r) {
        findings_done(&r->refusals);
        findings_done(&r->warnings);
}

/* Record one finding of @check according to @mode (off: dropped, warn, enforce). */
_printf_(4, 5) static int finding(ParityResult *r, CheckKind check, CheckMode mode, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;

        if (mode == CHECK_OFF)
                return 0;
        va_start(ap, fmt);
        int k = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return findings_add(mode == CHECK_ENFORCE ? &r->refusals : &r->warnings, check, line);
}

const char *policy_segment_of(const Policy *p, const char *iface_type, const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < p->n_segments; i++) {
                const Segment *s = &p->segments[i];
                char **l = streq(iface_type, "network")  ? s->networks
                           : streq(iface_type, "direct") ? s->devices
                                                         : s->bridges;
                if (strv_contains(l, name))
                        return s->name;
        }
        return NULL;
}

static int check_virttype(const DomainXml *d, const ParityOps *ops, void *ud, CheckMode mode, ParityResult *r) {
        _cleanup_free_ char *why = NULL;
        if (ops->virttype_usable(ud, d, &why) >= 0)
                return 0;
        return finding(r, CHECK_KIND_CPU, mode, "cpu: guest type '%s' cannot run here: %s", strna(d->virt_type),
                       strna(why));
}

static int check_guest_cpu(const DomainXml *d, const ParityOps *ops, void *ud, CheckMode mode, ParityResult *r) {
        _cleanup_free_ char *why = NULL;
        const char *xml = d->cpu_xml;

        /* host-model unexpanded (should not be in a live XML): use the source's */
        if (streq(d->cpu_mode, "host-model"))
                xml = d->src_cpu_xml;
        if (!xml)
                return finding(r, CHECK_KIND_CPU, CHECK_WARN,
                               "cpu: cannot verify host-model CPU: source published no host CPU");
        int k = ops->compare_cpu(ud, d, d->virt_type, xml, &why);
        if (k > 0)
                return 0;
        /* an unexpanded host-model has no model name: say host-model */
        const char *name = d->cpu_model ? d->cpu_model : d->cpu_mode;
        if (k == 0)
                return finding(r, CHECK_KIND_CPU, mode, "cpu: guest CPU %s is not compatible with this host: %s", name,
                               strna(why));
        return finding(r, CHECK_KIND_CPU, CHECK_WARN, "cpu: cannot verify guest CPU %s: %s", name, strna(why));
}

/* Same host CPU model: libvirt >= 10 may name the same CPU with a version
 * suffix ("kvm64" on libvirt 9, "kvm64-v1" on libvirt 11). */
static size_t cpu_model_base_len(const char *m) {
        const char *v = strrchr(m, '-');
        if (v && v[1] == 'v' && v[2] && strspn(v + 2, "0123456789") == strlen(v + 2))
                return (size_t) (v - m);
        return strlen(m);
}

static bool cpu_model_same(const char *a, const char *b) {
        size_t la = cpu_model_base_len(a);
        return la == cpu_model_base_len(b) && strncmp(a, b, la) == 0;
}

/* host-passthrough and maximum expose the host's own CPU: the source's host
 * description must be what this host provides, exactly. */
static int check_passthrough(const DomainXml *d, const ParityOps *ops, void *ud, CheckMode mode, ParityResult *r) {
        _cleanup_free_ char *why = NULL, *here = NULL;

        if (!d->src_cpu_xml)
                return finding(r, CHECK_KIND_CPU, CHECK_WARN,
                               "cpu: cannot verify %s CPU: source published no host CPU (is migguardd running there?)",
                               d->cpu_mode);
        int k = ops->compare_cpu(ud, d, d->virt_type, d->src_cpu_xml, &why);
        (void) ops->host_cpu_model(ud, &here);
        if (k == 1 && (!d->src_cpu_model || !here || cpu_model_same(d->src_cpu_model, here)))
                return 0;
        if (k < 0)
                return finding(r, CHECK_KIND_CPU, CHECK_WARN, "cpu: cannot verify %s CPU: %s", d->cpu_mode, strna(why));
        return finding(r, CHECK_KIND_CPU, mode, "cpu: %s needs the same host CPU: source %s, here %s%s%s", d->cpu_mode,
                       strna(d->src_cpu_model), strna(here), why ? ": " : "", why ? why : "");
}

static int check_cpu(const Policy *p, const DomainXml *d, const ParityOps *ops, void *ud, CheckMode mode,
                     ParityResult *r) {
        int k = check_virttype(d, ops, ud, mode, r);
        if (k < 0)
                return k;
        if (d->cpu_mode && (streq(d->cpu_mode, "host-passthrough") || streq(d->cpu_mode, "maximum")))
                k = check_passthrough(d, ops, ud, mode, r);
        else if (d->cpu_mode)
                k = check_guest_cpu(d, ops, ud, mode, r);
        if (k < 0 || p->cpu_match != CPU_MATCH_SAME_MODEL)
                return k;

        _cleanup_free_ char *here = NULL;
        if (!d->src_cpu_model || ops->host_cpu_model(ud, &here) < 0 || !here)
                return finding(r, CHECK_KIND_CPU, CHECK_WARN, "cpu: cannot compare host CPU models: %s",
                               d->src_cpu_model ? "this host's model unknown" : "source published none");
        if (!cpu_model_same(d->src_cpu_model, here))
                return finding(r, CHECK_KIND_CPU, mode, "cpu: host CPU model differs: source %s, here %s",
                               d->src_cpu_model, here);
        return 0;
}

static int join_prefixes(char **l, char **ret) {
        if (!l || !l[0])
                return (*ret = strdup("no address")) ? 0 : -ENOMEM;
        return strv_join(l, " ", ret);
}

/* Segment of one interface: [segment] names, then subnets and uplink VLAN. */
static int check_segment(const Policy *p, const DomainInterface *i, const char *label, const char *device,
                         const NetDev *dev, const NetFacts *src, CheckMode mode, ParityResult *r) {
        const char *here_seg = policy_segment_of(p, i->type, i->source);
        const char *src_seg = src ? src->segment : NULL;
        int k = 0;

        if ((here_seg || src_seg) && !streq_ptr(here_seg, src_seg))
                k = finding(r, CHECK_KIND_NETWORK, mode, "%s: segment differs: source %s, here %s", label,
                            src_seg ? src_seg : "none", here_seg ? here_seg : "none");
        if (k < 0 || !src || !dev || p->subnet_check == SUBNET_CHECK_OFF)
                return k;
        if (src->prefixes && src->prefixes[0] && dev->prefixes && dev->prefixes[0] &&
            !prefixes_intersect(src->prefixes, dev->prefixes)) {
                _cleanup_free_ char *a = NULL, *b = NULL;
                if (join_prefixes(src->prefixes, &a) < 0 || join_prefixes(dev->prefixes, &b) < 0)
                        return -ENOMEM;
                k = finding(r, CHECK_KIND_NETWORK, mode, "%s: segment differs: source %s, here %s", label, a, b);
        }
        if (k >= 0 && src->vlan >= 0 && dev->uplink_vlan >= 0 && src->vlan != dev->uplink_vlan)
                k = finding(r, CHECK_KIND_NETWORK, mode, "%s: uplink VLAN differs: source %d, here %d (device %s)",
                            label, src->vlan, dev->uplink_vlan, device);
        return k;
}

static int check_vlan(const DomainInterface *i, const char *label, const NetDev *dev, const ParityOps *ops, void *ud,
                      CheckMode mode, ParityResult *r) {
        if (i->n_vlan_tags == 0)
                return 0;
        if (streq(i->type, "hostdev"))
                return 0;
        if (streq(i->type, "direct") && streq_ptr(i->direct_mode, "passthrough"))
                return 0;
        if (dev && streq_ptr(dev->kind, "openvswitch"))
                return 0;
        /* libvirt 11.0 tags Linux bridge ports, which only filter when
         * the bridge has vlan_filtering on */
        if (dev && streq_ptr(dev->kind, "bridge") && ops->libvirt_version(ud) >= 11000000 && dev->vlan_filtering)
                return 0;
        return finding(r, CHECK_KIND_NETWORK, mode, "%s: VLAN tag cannot be honoured here (%s)", label,
                       dev && streq_ptr(dev->kind, "bridge") ? "Linux bridge without VLAN filtering support"
                                                             : "needs Open vSwitch, SR-IOV passthrough or hostdev");
}

static int check_device(const char *label, const char *what, const char *name, const NetDev *dev, bool bridge,
                        CheckMode mode, ParityResult *r) {
        if (!dev->exists)
                return finding(r, CHECK_KIND_NETWORK, mode, "%s: %s %s does not exist here", label, what, name);
        if (bridge && !streq_ptr(dev->kind, "bridge") && !streq_ptr(dev->kind, "openvswitch"))
                return finding(r, CHECK_KIND_NETWORK, mode, "%s: %s %s is not a bridge here (kind '%s')", label, what,
                               name, dev->kind && *dev->kind ? dev->kind : "plain device");
        if (!dev->up)
                return finding(r, CHECK_KIND_NETWORK, mode, "%s: %s %s is down here", label, what, name);
        return 0;
}

static int check_interface(const Policy *p, const DomainXml *d, const DomainInterface *i, const ParityOps *ops,
                           void *ud, CheckMode mode, ParityResult *r) {
        _cleanup_free_ char *label = NULL, *bridge = NULL;
        const NetFacts *src = domain_xml_find_net_facts(d, i->mac);
        const char *device = i->source;
        NetDev dev = { .uplink_vlan = -1 };
        bool have_dev = false;
        int k = 0;

        if (asprintf(&label, "interface %s %s %s", strna(i->mac), i->type, strna(i->source)) < 0)
                return -ENOMEM;
        if (streq(i->type, "network")) {
                int a = ops->network(ud, i->source, &bridge);
                if (a == -ENOENT)
                        return finding(r, CHECK_KIND_NETWORK, mode, "%s: network %s does not exist here", label,
                                       i->source);
                if (a == 0)
                        return finding(r, CHECK_KIND_NETWORK, mode, "%s: network %s is not active here", label,
                                       i->source);
                if (a < 0)
                        return finding(r, CHECK_KIND_NETWORK, CHECK_WARN, "%s: cannot look up network %s", label,
                                       i->source);
                device = bridge;
        } else if (!streq(i->type, "bridge") && !streq(i->type, "direct"))
                return 0; /* user, hostdev, vhostuser...: nothing host-side to compare */

        if (device) {
                k = ops->netdev(ud, device, &dev);
                if (k < 0)
                        return finding(r, CHECK_KIND_NETWORK, CHECK_WARN, "%s: cannot examine device %s", label,
                                       device);
                have_dev = true;
                if (!streq(i->type, "network"))
                        k = check_device(label, streq(i->type, "bridge") ? "bridge" : "device", device, &dev,
                                         streq(i->type, "bridge"), mode, r);
                if (k >= 0 && dev.exists && streq(i->type, "bridge") && streq_ptr(i->virtualport, "openvswitch") &&
                    !streq_ptr(dev.kind, "openvswitch"))
                        k = finding(r, CHECK_KIND_NETWORK, mode, "%s: needs an Open vSwitch bridge, %s is a %s here",
                                    label, device, dev.kind && *dev.kind ? dev.kind : "plain device");
        }
        if (k >= 0)
                k = check_vlan(i, label, have_dev && dev.exists ? &dev : NULL, ops, ud, mode, r);
        if (k >= 0 && (!have_dev || dev.exists))
                k = check_segment(p, i, label, device, have_dev ? &dev : NULL, src, mode, r);
        netdev_done(&dev);
        return k;
}

int parity_check(const Policy *p, const DomainXml *d, const ParityOps *ops, void *ud, ParityResult *ret) {
        ParityResult r = { 0 };
        /* An offline migration (no live definition) is only warned about. */
        bool offline = !d->looks_live;
        CheckMode cpu = offline && p->cpu_check ? CHECK_WARN : p->cpu_check;
        CheckMode vcpus = offline && p->vcpus_over_cores ? CHECK_WARN : p->vcpus_over_cores;
        CheckMode net = offline && p->network_check ? CHECK_WARN : p->network_check;
        int k = 0;

        if (cpu != CHECK_OFF)
                k = check_cpu(p, d, ops, ud, cpu, &r);
        if (k >= 0 && vcpus != CHECK_OFF) {
                unsigned online = ops->online_cpus(ud);
                if (online > 0 && d->vcpus > online)
                        k = finding(&r, CHECK_KIND_VCPUS, vcpus,
                                    "vcpus: guest has %u vCPUs, this host has %u online CPUs", d->vcpus, online);
        }
        for (size_t i = 0; k >= 0 && net != CHECK_OFF && i < d->n_ifaces; i++)
                k = check_interface(p, d, &d->ifaces[i], ops, ud, net, &r);
        if (k < 0) {
                parity_result_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}
