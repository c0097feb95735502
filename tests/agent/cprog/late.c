/* Loaded with dlopen after the symbolizer first read the maps. */
__attribute__((noinline)) int late_func(int x)
{
	return x - 1;
}
