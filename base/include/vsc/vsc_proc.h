/* Running another program (base): argv as given (no shell), its standard output captured,
 * its standard error passed through. For the cluster tools a batch drives (sbatch, squeue,
 * scancel, scontrol). */
#ifndef VSC_PROC_H
#define VSC_PROC_H

#include "vsc_buf.h"

/* Runs argv[0] (looked up in PATH) with argv, waits for it and appends what it wrote to
 * standard output to *out (may be NULL: discarded). Returns its exit status (0..255),
 * 127 when it cannot be started, or 128 + the signal that ended it. */
int vsc_proc_run(char *const argv[], vsc_buf *out);

#endif
