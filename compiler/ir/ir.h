/* The IR: canonical text, node ids, validation (see docs/ir.md). */
#ifndef VSC_IR_H
#define VSC_IR_H

#include "vsc/vsc.h"

/* Flags for every dump of IR JSON, so ids and files agree byte for byte. */
#define VSC_IR_REAL_PRECISION 12

#endif
