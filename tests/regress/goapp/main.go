// regressapp: a request loop in three stages, each doing its own work, with
// net/http/pprof for scraping. -slow makes score() do three times the work
// (the "new version" with a regression); parse and encode are unchanged.
// Standard library only.
package main

import (
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"
)

var slow = flag.Bool("slow", false, "make score() three times slower")
var total uint64

func mix(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func parse(x uint64) uint64 {
	for i := 0; i < 200000; i++ {
		x ^= x<<13 ^ x>>7
	}
	return x
}

//go:noinline
func score(x uint64) uint64 {
	n := 200000
	if *slow {
		n *= 3
	}
	for i := 0; i < n; i++ {
		x = x*2862933555777941757 + 3037000493
	}
	return x
}

//go:noinline
func encode(x uint64) uint64 {
	for i := 0; i < 200000; i++ {
		x += x>>3 | 1
	}
	return x
}

//go:noinline
func handle(x uint64) uint64 { return encode(score(parse(x))) }

func serve() {
	x := mix(1, 10)
	for {
		x = handle(x)
		total += x
	}
}

func main() {
	addr := flag.String("listen", "127.0.0.1:6061", "address")
	flag.Parse()
	go serve()
	log.Fatal(http.ListenAndServe(*addr, nil))
}
