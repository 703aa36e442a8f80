/* SPDX-License-Identifier: Apache-2.0 */
/* The VMware backdoor's port I/O: `inl` on port 0x5658 with the magic in
 * EAX traps to the hypervisor, which reads and rewrites the general
 * registers. Outside VMware the same instruction reads an unrelated port
 * (or faults without I/O permission), so it is only ever executed after
 * DMI said VMware (vmware.c) and the CPU's hypervisor signature says so
 * too; the first call (GETVERSION) runs with SIGSEGV/SIGILL caught, as a
 * VM whose configuration restricts the backdoor raises #GP. x86_64 only. */

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "ignis/log.h"
#include "vmware.h"

#define WHO "platform vmware"

#if defined(__x86_64__)

#include <cpuid.h>
#include <sys/io.h>

static void bdoor_call(void *ctx, struct vmw_regs *r)
{
        (void) ctx;
        __asm__ __volatile__("inl %%dx, %%eax"
                             : "+a"(r->eax), "+b"(r->ebx), "+c"(r->ecx), "+d"(r->edx), "+S"(r->esi), "+D"(r->edi)
                             :
                             : "memory");
}

/* The hypervisor's CPUID signature (leaf 0x40000000), or "" when the CPU
 * says it runs on none. */
static void hypervisor_signature(char sig[13])
{
        unsigned a, b, c, d;

        sig[0] = '\0';
        if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
                return;
        __cpuid(0x40000000, a, b, c, d);
        memcpy(sig, &b, 4);
        memcpy(sig + 4, &c, 4);
        memcpy(sig + 8, &d, 4);
        sig[12] = '\0';
}

static sigjmp_buf probe_jmp;
static volatile sig_atomic_t probe_signal;

static void probe_fault(int sig)
{
        probe_signal = sig;
        siglongjmp(probe_jmp, 1);
}

int vmw_backdoor_probe(struct vmw_transport *t)
{
        struct sigaction sa = { .sa_handler = probe_fault }, old_segv, old_ill;
        struct vmw_regs r = {
                .eax = VMW_BDOOR_MAGIC,
                .ebx = ~VMW_BDOOR_MAGIC,
                .ecx = VMW_CMD_GETVERSION,
                .edx = VMW_BDOOR_PORT,
        };
        char sig[13];

        hypervisor_signature(sig);
        if (strcmp(sig, "VMwareVMware") != 0)
                return log_error_errno(ENODEV, "%s: the CPU reports %s%s%s, not VMware: the VMware backdoor is "
                                       "not used (check ignition.platform.id)", WHO,
                                       sig[0] ? "the hypervisor \"" : "no hypervisor", sig, sig[0] ? "\"" : "");
        /* VMware lets unprivileged code use the backdoor; I/O permission
         * only matters where it is restricted, and may be refused (kernel
         * lockdown): then the fault handler below says so. */
        if (ioperm(VMW_BDOOR_PORT, 1, 1) < 0)
                log_debug("%s: ioperm(0x%x): %m", WHO, VMW_BDOOR_PORT);
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, &old_segv);
        sigaction(SIGILL, &sa, &old_ill);
        probe_signal = 0;
        if (sigsetjmp(probe_jmp, 1) == 0)
                bdoor_call(NULL, &r);
        sigaction(SIGSEGV, &old_segv, NULL);
        sigaction(SIGILL, &old_ill, NULL);
        if (probe_signal)
                return log_error_errno(ENODEV, "%s: the VMware backdoor faulted (%s): it is disabled in this VM's "
                                       "configuration, or I/O access is locked down", WHO,
                                       strsignal(probe_signal));
        if (r.ebx != VMW_BDOOR_MAGIC || r.eax == 0xffffffffu)
                return log_error_errno(ENODEV, "%s: the VMware backdoor does not answer (GETVERSION gave "
                                       "0x%08x/0x%08x)", WHO, r.eax, r.ebx);
        log_info("%s: VMware backdoor version %u", WHO, r.eax);
        *t = (struct vmw_transport) { .call = bdoor_call };
        return 0;
}

#else

int vmw_backdoor_probe(struct vmw_transport *t)
{
        (void) t;
        return log_error_errno(EOPNOTSUPP, "%s: VMware guestinfo is read through x86 port I/O, which this "
                               "architecture does not have", WHO);
}

#endif
