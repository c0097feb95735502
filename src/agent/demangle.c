#include "demangle.h"

#include <string.h>
#include <libiberty/demangle.h>

char *demangle(const char *name)
{
	/* "_Z": Itanium C++ and Rust legacy; "_R": Rust v0. */
	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	if (strnlen(name, DEMANGLE_MAX_IN + 1) > DEMANGLE_MAX_IN)
		return NULL;
	/* DMGL_AUTO tries Rust first, then GNU v3; DMGL_PARAMS keeps the
	 * parameter list, which tells C++ overloads apart (as c++filt does). */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
