/* lmprob: the umbrella header. Include this, or the module headers you need. */
#ifndef LMPROB_H
#define LMPROB_H

#include "lmprob/core.h"

#endif
