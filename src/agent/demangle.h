/* demangle: C++ (Itanium) and Rust (legacy and v0) symbol names.
 *
 * A thin wrapper over libiberty's cplus_demangle (the demangler of binutils
 * and GDB), which knows both languages: Rust legacy names look like C++
 * ("_ZN...17h<hash>E") and are told apart by their hash suffix. Names that
 * do not look mangled are not touched, and names longer than
 * DEMANGLE_MAX_IN are left alone (the demangler recurses on its input). */
#ifndef STACKYARD_AGENT_DEMANGLE_H
#define STACKYARD_AGENT_DEMANGLE_H

#define DEMANGLE_MAX_IN 4096

/* A malloc'd demangled name (caller frees), or NULL when name is not a
 * mangled name, or not a valid one. */
char *demangle(const char *name);

#endif
