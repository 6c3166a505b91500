/* TRY(call): return the status of a failing call, keeping its message. */
#ifndef PCNN_TRY_H
#define PCNN_TRY_H

#include "pcnn/error.h"

#define TRY(call)                                                                                                  \
    do {                                                                                                           \
        pcnn_status try_status_ = (call);                                                                          \
        if (try_status_)                                                                                           \
            return try_status_;                                                                                    \
    } while (0)

#endif
