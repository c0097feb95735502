/* The shared library of main.c. */
__attribute__((noinline)) int lib_func(int x)
{
	return x + 42;
}

static __attribute__((noinline)) int lib_static(int x)
{
	return x * x;
}

int lib_other(int x)
{
	return lib_static(x) + 1;
}

/* The address of a function of the library as the library sees it: a
 * -no-pie executable taking &lib_func would get its own PLT stub. */
unsigned long lib_addr(void)
{
	return (unsigned long)(void *)lib_static;
}
