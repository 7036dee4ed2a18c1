/* verify adapters for the stats module (see verify.h). */
#include "verify.h"

const verify_entry verify_table_stats[] = {
    {NULL, NULL},
};
