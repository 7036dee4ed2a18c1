/* verify adapters for the info module (see verify.h). */
#include "verify.h"

const verify_entry verify_table_info[] = {
    {NULL, NULL},
};
