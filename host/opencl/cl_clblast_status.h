/* Readable messages for CLBlast status codes (the GEMMs of the OpenCL backend). */
#ifndef PCNN_CLBLAST_STATUS_H
#define PCNN_CLBLAST_STATUS_H

#include <clblast_c.h>

/* "CLBlastInvalidLeadDimA: LD of A is smaller than the matrix's first dimension" */
const char *clblast_status_message(CLBlastStatusCode status);

#endif
