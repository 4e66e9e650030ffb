/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for parity/host-cpu.c: the host-model CPU of libvirt's domain
 * capabilities as the plain <cpu> element a source publishes (and the
 * destination hands to virConnectCompareHypervisorCPU), and the host CPU
 * model of the capabilities.  Fixtures trimmed from libvirt 9.0 output.
 */
#include "parity/host-cpu.h"
#include "tests.h"

static const char domcaps[] = "<domainCapabilities>\n"
                              "  <path>/usr/bin/qemu-system-x86_64</path>\n"
                              "  <domain>kvm</domain>\n"
                              "  <machine>pc-q35-7.2</machine>\n"
                              "  <arch>x86_64</arch>\n"
                              "  <cpu>\n"
                              "    <mode name='host-passthrough' supported='yes'/>\n"
                              "    <mode name='maximum' supported='yes'/>\n"
                              "    <mode name='host-model' supported='yes'>\n"
                              "      <model fallback='forbid'>Icelake-Server</model>\n"
                              "      <vendor>Intel</vendor>\n"
                              "      <maxphysaddr mode='passthrough' limit='46'/>\n"
                              "      <feature policy='require' name='ss'/>\n"
                              "      <feature policy='disable' name='hle'/>\n"
                              "    </mode>\n"
                              "    <mode name='custom' supported='yes'>\n"
                              "      <model usable='yes' vendor='Intel'>Skylake-Client</model>\n"
                              "    </mode>\n"
                              "  </cpu>\n"
                              "</domainCapabilities>\n";

TEST(from_domcaps) {
        _cleanup_free_ char *cpu = NULL, *model = NULL;
        ASSERT_OK(host_cpu_from_domcaps(domcaps, &cpu, &model));
        ASSERT_STREQ(model, "Icelake-Server");
        /* a <cpu> libvirt's comparison takes: host-model's children, nothing of the other modes */
        ASSERT_STREQ(cpu, "<cpu mode=\"custom\" match=\"exact\"><model fallback=\"forbid\">Icelake-Server</model>"
                          "<vendor>Intel</vendor><maxphysaddr mode=\"passthrough\" limit=\"46\"/>"
                          "<feature policy=\"require\" name=\"ss\"/><feature policy=\"disable\" name=\"hle\"/></cpu>");
        ASSERT_NULL(strstr(cpu, "Skylake"));

        /* the model is optional */
        _cleanup_free_ char *again = NULL;
        ASSERT_OK(host_cpu_from_domcaps(domcaps, &again, NULL));
        ASSERT_STREQ(again, cpu);
}

TEST(no_host_model) {
        static const char unsupported[] = "<domainCapabilities><cpu>"
                                          "<mode name='host-passthrough' supported='yes'/>"
                                          "<mode name='host-model' supported='no'/></cpu></domainCapabilities>";
        static const char tcg[] = "<domainCapabilities><cpu><mode name='custom' supported='yes'/></cpu>"
                                  "</domainCapabilities>";
        char *cpu = NULL, *model = NULL;
        ASSERT_ERR(host_cpu_from_domcaps(unsupported, &cpu, &model), -ENOENT);
        ASSERT_ERR(host_cpu_from_domcaps(tcg, &cpu, &model), -ENOENT);
        ASSERT_ERR(host_cpu_from_domcaps("<capabilities/>", &cpu, &model), -ENOENT);
        ASSERT_ERR(host_cpu_from_domcaps("<domainCapabilities>", &cpu, &model), -EBADMSG);
        ASSERT_NULL(cpu);
        ASSERT_NULL(model);
}

TEST(model_from_caps) {
        static const char caps[] = "<capabilities><host><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>"
                                   "<cpu><arch>x86_64</arch><model>Skylake-Client-IBRS</model><vendor>Intel</vendor>"
                                   "<feature name='ds'/></cpu></host>"
                                   "<guest><arch name='x86_64'><model>not-this</model></arch></guest></capabilities>";
        _cleanup_free_ char *model = NULL;
        ASSERT_OK(host_cpu_model_from_caps(caps, &model));
        ASSERT_STREQ(model, "Skylake-Client-IBRS");

        /* libvirt's test driver, a TCG-only host: no model */
        char *none = NULL;
        ASSERT_ERR(host_cpu_model_from_caps("<capabilities><host><cpu><arch>i686</arch></cpu></host></capabilities>",
                                            &none),
                   -ENOENT);
        ASSERT_NULL(none);
        ASSERT_ERR(host_cpu_model_from_caps("<capabilities", &none), -EBADMSG);
        ASSERT_NULL(none);
}

int main(void) {
        RUN(from_domcaps);
        RUN(no_host_model);
        RUN(model_from_caps);
        return tests_done();
}
