/* verify adapters for the dist module (see verify.h). */
#include "verify.h"

const verify_entry verify_table_dist[] = {
    {NULL, NULL},
};
