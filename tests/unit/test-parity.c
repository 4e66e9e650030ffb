/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for parity/parity.c: the decisions, fed by a table of host
 * facts, each finding tagged with its check (cpu, vcpus, network).
 * (Whether libvirt and netlink give those facts is proven on the two-host
 * rig in tests/parity.bats.)
 */
#include "tests.h"

#include "parity/parity.h"
#include "basic/strv.h"

typedef struct FakeHost {
        int cpu_result; /* what compare_cpu returns */
        bool virttype_ok;
        const char *cpu_model;
        int network_state; /* 1 active, 0 inactive, -ENOENT */
        const char *net_bridge;
        bool dev_exists, dev_up;
        const char *dev_kind;
        const char *dev_prefix;
        int dev_vlan;
        unsigned cpus;
        unsigned long version;
} FakeHost;

static int f_compare(void *ud, const DomainXml *d, const char *vt, const char *xml, char **reason) {
        FakeHost *h = ud;
        if (h->cpu_result <= 0)
                *reason = strdup("Host CPU does not provide required features: avx512f");
        return h->cpu_result;
}
static int f_virttype(void *ud, const DomainXml *d, char **reason) {
        FakeHost *h = ud;
        if (h->virttype_ok)
                return 0;
        *reason = strdup("the accel 'kvm' is not supported");
        return -EOPNOTSUPP;
}
static int f_model(void *ud, char **ret) {
        FakeHost *h = ud;
        *ret = h->cpu_model ? strdup(h->cpu_model) : NULL;
        return h->cpu_model ? 0 : -ENOENT;
}
static int f_network(void *ud, const char *name, char **bridge) {
        FakeHost *h = ud;
        if (h->network_state == 1 && h->net_bridge)
                *bridge = strdup(h->net_bridge);
        return h->network_state;
}
static int f_netdev(void *ud, const char *name, NetDev *ret) {
        FakeHost *h = ud;
        *ret = (NetDev){ .exists = h->dev_exists, .up = h->dev_up, .uplink_vlan = h->dev_vlan };
        ret->kind = strdup(h->dev_kind ? h->dev_kind : "");
        ret->prefixes = calloc(1, sizeof(char *));
        if (h->dev_prefix)
                ASSERT_OK(strv_push(&ret->prefixes, h->dev_prefix));
        return 0;
}
static unsigned f_cpus(void *ud) {
        return ((FakeHost *) ud)->cpus;
}
static unsigned long f_version(void *ud) {
        return ((FakeHost *) ud)->version;
}
static const ParityOps ops = { f_compare, f_virttype, f_model, f_network, f_netdev, f_cpus, f_version };

static FakeHost same_host(void) {
        return (FakeHost){ .cpu_result = 1,
                           .virttype_ok = true,
                           .cpu_model = "EPYC-Rome",
                           .network_state = 1,
                           .net_bridge = "virbr0",
                           .dev_exists = true,
                           .dev_up = true,
                           .dev_kind = "bridge",
                           .dev_prefix = "198.51.100.0/24",
                           .dev_vlan = -1,
                           .cpus = 2,
                           .version = 9000000 };
}

#define MAC "52:54:00:aa:bb:cc"
#define FACTS_BR                                                                                                       \
        "<metadata><migguard:facts xmlns:migguard='urn:migguard:domain:1' host='ha'>"                                  \
        "<migguard:host-cpu model='EPYC-Rome'>&lt;cpu "                                                                \
        "mode='custom'&gt;&lt;model&gt;EPYC-Rome&lt;/model&gt;&lt;/cpu&gt;</migguard:host-cpu>"                        \
        "<migguard:interface mac='" MAC "' device='br0' kind='bridge' segment='prod'>"                                 \
        "<migguard:prefix>198.51.100.0/24</migguard:prefix></migguard:interface></migguard:facts></metadata>"

static DomainXml *parse(const char *cpu, const char *nic, const char *meta, unsigned vcpus) {
        char *xml = NULL, *err = NULL;
        DomainXml *d = NULL;
        ASSERT_TRUE(asprintf(&xml,
                             "<domain type='qemu'><name>g</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>"
                             "<vcpu>%u</vcpu><resource><partition>/machine</partition></resource>%s%s<os><type "
                             "arch='x86_64' machine='pc'>hvm</type></os>"
                             "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices></domain>",
                             vcpus, meta ? meta : "", cpu ? cpu : "", nic ? nic : "") > 0);
        ASSERT_OK(domain_xml_parse(xml, strlen(xml), &d, &err));
        free(xml);
        free(err);
        return d;
}

static Policy *policy(const char *text) {
        Policy *p = NULL;
        char *err = NULL;
        ASSERT_OK(policy_new(&p));
        if (text)
                ASSERT_OK(policy_parse_string(p, "test.conf", text, &err));
        free(err);
        return p;
}

/* The check a line belongs to, by how the admin reads it. */
static CheckKind expected_check(const char *text) {
        if (strncmp(text, "cpu: ", 5) == 0)
                return CHECK_KIND_CPU;
        if (strncmp(text, "vcpus: ", 7) == 0)
                return CHECK_KIND_VCPUS;
        if (strncmp(text, "interface ", 10) == 0)
                return CHECK_KIND_NETWORK;
        TEST_FAIL("finding of no known check: '%s'", text);
}

static void assert_tagged(const Findings *f) {
        for (size_t i = 0; i < f->n; i++)
                if (f->items[i].check != expected_check(f->items[i].text))
                        TEST_FAIL("'%s' tagged %s", f->items[i].text, strna(check_kind_to_string(f->items[i].check)));
}

static ParityResult run(const char *pol, DomainXml *d, FakeHost *h) {
        ParityResult r;
        _cleanup_(policy_unrefp) Policy *p = policy(pol);
        ASSERT_OK(parity_check(p, d, &ops, h, &r));
        assert_tagged(&r.refusals);
        assert_tagged(&r.warnings);
        return r;
}

/* The @i-th finding's text, failing loudly when there are fewer. */
static const char *text_of(const Findings *f, size_t i) {
        if (i >= f->n)
                TEST_FAIL("only %zu findings, wanted #%zu", f->n, i);
        return f->items[i].text;
}

static char *joined(const Findings *f) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        char *all = NULL;
        ASSERT_NOT_NULL(l);
        for (size_t i = 0; i < f->n; i++)
                ASSERT_OK(strv_push(&l, f->items[i].text));
        ASSERT_OK(strv_join(l, "\n", &all));
        return all;
}

TEST(identical_hosts_pass) {
        FakeHost h = same_host();
        DomainXml *d = parse("<cpu mode='custom' match='exact'><model>qemu64</model></cpu>",
                             "<interface type='bridge'><mac address='" MAC "'/><source bridge='br0'/></interface>",
                             FACTS_BR, 2);
        ParityResult r = run("[segment prod]\nbridges = br0\n", d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_EQ(r.warnings.n, 0u);
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(every_mismatch_reported) {
        FakeHost h = same_host();
        h.cpu_result = 0;
        h.virttype_ok = false;
        h.dev_prefix = "203.0.113.0/24";
        DomainXml *d = parse("<cpu mode='custom' match='exact'><model>Icelake-Server</model></cpu>",
                             "<interface type='bridge'><mac address='" MAC "'/><source bridge='br0'/></interface>",
                             FACTS_BR, 4);
        ParityResult r = run("[cpu]\nvcpus-over-cores = enforce\n", d, &h);
        _cleanup_free_ char *all = joined(&r.refusals);
        ASSERT_CONTAINS(all, "cpu: guest type 'qemu' cannot run here: the accel 'kvm' is not supported");
        ASSERT_CONTAINS(all,
                        "cpu: guest CPU Icelake-Server is not compatible with this host: Host CPU does not provide");
        ASSERT_CONTAINS(all, "vcpus: guest has 4 vCPUs, this host has 2 online CPUs");
        ASSERT_CONTAINS(all, "interface " MAC " bridge br0: segment differs: source prod, here none");
        ASSERT_CONTAINS(all,
                        "interface " MAC " bridge br0: segment differs: source 198.51.100.0/24, here 203.0.113.0/24");
        ASSERT_EQ(r.refusals.n, 5u);
        ASSERT_EQ(r.refusals.items[0].check, CHECK_KIND_CPU);
        ASSERT_EQ(r.refusals.items[1].check, CHECK_KIND_CPU);
        ASSERT_EQ(r.refusals.items[2].check, CHECK_KIND_VCPUS);
        ASSERT_EQ(r.refusals.items[3].check, CHECK_KIND_NETWORK);
        ASSERT_EQ(r.refusals.items[4].check, CHECK_KIND_NETWORK);
        ASSERT_FALSE(findings_have(&r.refusals, CHECK_KIND_PROVISION));
        ASSERT_EQ(r.warnings.n, 0u);
        parity_result_done(&r);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_NULL(r.refusals.items);
        domain_xml_free(d);
}

TEST(warn_and_off) {
        FakeHost h = same_host();
        h.dev_exists = false;
        DomainXml *d = parse(
                NULL, "<interface type='bridge'><mac address='" MAC "'/><source bridge='br9'/></interface>", NULL, 1);
        ParityResult r = run("[network]\ncheck = warn\n", d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_EQ(r.warnings.n, 1u);
        ASSERT_STREQ(text_of(&r.warnings, 0), "interface " MAC " bridge br9: bridge br9 does not exist here");
        ASSERT_EQ(r.warnings.items[0].check, CHECK_KIND_NETWORK);
        parity_result_done(&r);
        r = run("[network]\ncheck = off\n[cpu]\ncheck = off\n", d, &h);
        ASSERT_EQ(r.refusals.n + r.warnings.n, 0u);
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(vcpus_warn_by_default) {
        FakeHost h = same_host();
        DomainXml *d = parse(NULL, NULL, NULL, 4);
        ParityResult r = run(NULL, d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_EQ(r.warnings.n, 1u);
        ASSERT_EQ(r.warnings.items[0].check, CHECK_KIND_VCPUS);
        ASSERT_TRUE(findings_have(&r.warnings, CHECK_KIND_VCPUS));
        ASSERT_STREQ(text_of(&r.warnings, 0), "vcpus: guest has 4 vCPUs, this host has 2 online CPUs");
        parity_result_done(&r);
        r = run("[cpu]\nvcpus-over-cores = off\n", d, &h);
        ASSERT_EQ(r.refusals.n + r.warnings.n, 0u);
        parity_result_done(&r);
        h.cpus = 4; /* as many as the guest: fine */
        r = run("[cpu]\nvcpus-over-cores = enforce\n", d, &h);
        ASSERT_EQ(r.refusals.n + r.warnings.n, 0u);
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(bridge_kind_down_network_states) {
        FakeHost h = same_host();
        h.dev_kind = "";
        DomainXml *d = parse(
                NULL, "<interface type='bridge'><mac address='" MAC "'/><source bridge='eth0'/></interface>", NULL, 1);
        ParityResult r = run(NULL, d, &h);
        ASSERT_STREQ(text_of(&r.refusals, 0),
                     "interface " MAC " bridge eth0: bridge eth0 is not a bridge here (kind 'plain device')");
        parity_result_done(&r);
        h.dev_kind = "bridge";
        h.dev_up = false;
        r = run(NULL, d, &h);
        ASSERT_STREQ(text_of(&r.refusals, 0), "interface " MAC " bridge eth0: bridge eth0 is down here");
        parity_result_done(&r);
        domain_xml_free(d);

        d = parse(NULL, "<interface type='network'><mac address='" MAC "'/><source network='prod'/></interface>", NULL,
                  1);
        h = same_host();
        h.network_state = -ENOENT;
        r = run(NULL, d, &h);
        ASSERT_STREQ(text_of(&r.refusals, 0), "interface " MAC " network prod: network prod does not exist here");
        parity_result_done(&r);
        h.network_state = 0;
        r = run(NULL, d, &h);
        ASSERT_STREQ(text_of(&r.refusals, 0), "interface " MAC " network prod: network prod is not active here");
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(vlan_and_uplink) {
        FakeHost h = same_host();
        DomainXml *d = parse(NULL,
                             "<interface type='bridge'><mac address='" MAC "'/><source bridge='br0'/>"
                             "<vlan><tag id='42'/></vlan></interface>",
                             NULL, 1);
        ParityResult r = run(NULL, d, &h);
        ASSERT_CONTAINS(text_of(&r.refusals, 0),
                        "VLAN tag cannot be honoured here (Linux bridge without VLAN filtering support)");
        parity_result_done(&r);
        h.dev_kind = "openvswitch";
        r = run(NULL, d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        parity_result_done(&r);
        domain_xml_free(d);

        h = same_host();
        h.dev_vlan = 20;
        d = parse(NULL, "<interface type='bridge'><mac address='" MAC "'/><source bridge='br0'/></interface>",
                  "<metadata><migguard:facts xmlns:migguard='urn:migguard:domain:1' host='ha'>"
                  "<migguard:interface mac='" MAC
                  "' device='br0' kind='bridge' vlan='10'/></migguard:facts></metadata>",
                  1);
        r = run(NULL, d, &h);
        ASSERT_STREQ(text_of(&r.refusals, 0),
                     "interface " MAC " bridge br0: uplink VLAN differs: source 10, here 20 (device br0)");
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(passthrough_and_same_model) {
        FakeHost h = same_host();
        DomainXml *d = parse("<cpu mode='host-passthrough'/>", NULL, FACTS_BR, 1);
        ParityResult r = run("[cpu]\nmatch = same-model\n", d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        parity_result_done(&r);
        h.cpu_model = "Skylake-Client";
        h.cpu_result = 2;
        r = run("[cpu]\nmatch = same-model\n", d, &h);
        ASSERT_EQ(r.refusals.n, 2u);
        ASSERT_CONTAINS(text_of(&r.refusals, 0),
                        "cpu: host-passthrough needs the same host CPU: source EPYC-Rome, here Skylake-Client");
        ASSERT_STREQ(text_of(&r.refusals, 1), "cpu: host CPU model differs: source EPYC-Rome, here Skylake-Client");
        parity_result_done(&r);

        /* libvirt 11 names the same model with a version: not a difference */
        h.cpu_model = "EPYC-Rome-v1";
        h.cpu_result = 1;
        r = run("[cpu]\nmatch = same-model\n", d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        parity_result_done(&r);
        h.cpu_model = "EPYC-Rome-v";
        r = run("[cpu]\nmatch = same-model\n", d, &h);
        ASSERT_EQ(r.refusals.n, 2u); /* not a version suffix */
        parity_result_done(&r);
        h.cpu_model = "EPYC";
        r = run("[cpu]\nmatch = same-model\n", d, &h);
        ASSERT_EQ(r.refusals.n, 2u);
        parity_result_done(&r);
        domain_xml_free(d);

        /* nothing published by the source: cannot verify, warn only */
        d = parse("<cpu mode='host-passthrough'/>", NULL, NULL, 1);
        r = run(NULL, d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_CONTAINS(text_of(&r.warnings, 0), "cannot verify host-passthrough CPU");
        parity_result_done(&r);
        domain_xml_free(d);
}

TEST(offline_is_warn_only) {
        FakeHost h = same_host();
        h.dev_exists = false;
        char *err = NULL;
        DomainXml *d = NULL;
        const char *xml = "<domain type='qemu'><name>g</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>"
                          "<devices><interface type='bridge'><mac address='" MAC "'/><source bridge='br9'/>"
                          "</interface></devices></domain>";
        ASSERT_OK(domain_xml_parse(xml, strlen(xml), &d, &err));
        ParityResult r = run(NULL, d, &h);
        ASSERT_EQ(r.refusals.n, 0u);
        ASSERT_EQ(r.warnings.n, 1u);
        ASSERT_EQ(r.warnings.items[0].check, CHECK_KIND_NETWORK);
        parity_result_done(&r);
        domain_xml_free(d);
        free(err);
}

TEST(segment_lookup) {
        Policy *p = policy("[segment a]\nbridges = br0 br1\nnetworks = n1\ndevices = eno2\n");
        ASSERT_STREQ(policy_segment_of(p, "bridge", "br1"), "a");
        ASSERT_STREQ(policy_segment_of(p, "network", "n1"), "a");
        ASSERT_STREQ(policy_segment_of(p, "direct", "eno2"), "a");
        ASSERT_NULL(policy_segment_of(p, "network", "br0"));
        ASSERT_NULL(policy_segment_of(p, "bridge", NULL));
        policy_unref(p);
}

int main(void) {
        RUN(identical_hosts_pass);
        RUN(every_mismatch_reported);
        RUN(warn_and_off);
        RUN(vcpus_warn_by_default);
        RUN(bridge_kind_down_network_states);
        RUN(vlan_and_uplink);
        RUN(passthrough_and_same_model);
        RUN(offline_is_warn_only);
        RUN(segment_lookup);
        return tests_done();
}
