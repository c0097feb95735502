// burn_go: spends CPU in two functions at a known 3:1 ratio, for the agent
// tests; built stripped (go build -ldflags='-s -w'), so only .gopclntab
// can name them. Usage: burn_go CPU_SECONDS (CPU time, not wall time, so
// that a loaded machine still yields the same number of samples).
package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

const chunk = 200000

var sink uint64

//go:noinline
func heavyWork() {
	for i := 0; i < 3*chunk; i++ {
		sink += uint64(i ^ (i >> 3))
	}
}

//go:noinline
func lightWork() {
	for i := 0; i < chunk; i++ {
		sink += uint64(i ^ (i >> 3))
	}
}

func main() {
	secs := 3.0
	if len(os.Args) > 1 {
		secs, _ = strconv.ParseFloat(os.Args[1], 64)
	}
	end := time.Duration(secs * float64(time.Second))
	for cpuTime() < end {
		heavyWork()
		lightWork()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
