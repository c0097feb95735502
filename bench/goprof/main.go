// goprof: real Go CPU profiles for the storage benchmark (bench/store.sh).
//
// It runs a mix of standard-library work on every CPU (an in-process HTTP
// server and its clients, JSON, gzip, regexp, sorting, SHA-256, templates,
// big numbers) and writes -n CPU profiles of -seconds each with
// runtime/pprof, as a busy Go service would give to a scraper. The mix is
// drawn anew for every profile (from -seed), so consecutive profiles share
// most stacks but not their proportions, as profiles of one service do.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"
)

type item struct {
	ID     int               `json:"id"`
	Name   string            `json:"name"`
	Tags   []string          `json:"tags"`
	Score  float64           `json:"score"`
	Labels map[string]string `json:"labels"`
}

func makeItems(r *rand.Rand, n int) []item {
	v := make([]item, n)
	for i := range v {
		v[i] = item{ID: r.Int(), Name: fmt.Sprintf("item-%d", r.Intn(1e6)),
			Tags: []string{"a", "bb", "ccc"}, Score: r.Float64(),
			Labels: map[string]string{"pod": fmt.Sprint(r.Intn(100)), "zone": "z1"}}
	}
	return v
}

func jsonWork(r *rand.Rand) {
	b, _ := json.Marshal(makeItems(r, 50))
	var out []item
	_ = json.Unmarshal(b, &out)
}

func gzipWork(r *rand.Rand) {
	var text strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&text, "line %d value %d\n", i, r.Intn(50))
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	_, _ = w.Write([]byte(text.String()))
	_ = w.Close()
	rd, err := gzip.NewReader(&z)
	if err == nil {
		_, _ = io.Copy(io.Discard, rd)
	}
}

var re = regexp.MustCompile(`(?i)([a-z]+)-(\d+)@([a-z.]+)`)

func regexpWork(r *rand.Rand) {
	for i := 0; i < 200; i++ {
		re.FindAllStringSubmatch(fmt.Sprintf("user-%d@example.org, other-%d@x.y", r.Intn(1000), i), -1)
	}
}

func sortWork(r *rand.Rand) {
	v := makeItems(r, 500)
	sort.Slice(v, func(i, j int) bool { return v[i].Score < v[j].Score })
	sort.SliceStable(v, func(i, j int) bool { return v[i].Name < v[j].Name })
}

func shaWork(r *rand.Rand) {
	buf := make([]byte, 64<<10)
	r.Read(buf)
	for i := 0; i < 8; i++ {
		sha256.Sum256(buf)
	}
}

var tmpl = template.Must(template.New("t").Parse(
	`{{range .}}<li id="{{.ID}}">{{.Name}} {{printf "%.3f" .Score}}{{range .Tags}} {{.}}{{end}}</li>{{end}}`))

func templateWork(r *rand.Rand) {
	_ = tmpl.Execute(io.Discard, makeItems(r, 100))
}

func bigWork(r *rand.Rand) {
	f := big.NewInt(1)
	for i := int64(2); i < 300+int64(r.Intn(200)); i++ {
		f.Mul(f, big.NewInt(i))
	}
	_ = f.String()
}

type server struct {
	url    string
	client *http.Client
}

func newServer() *server {
	mux := http.NewServeMux()
	mux.HandleFunc("/items", func(w http.ResponseWriter, req *http.Request) {
		r := rand.New(rand.NewSource(time.Now().UnixNano()))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(makeItems(r, 20))
	})
	mux.HandleFunc("/hash", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		fmt.Fprintf(w, "%x", sha256.Sum256(b))
	})
	ts := httptest.NewServer(mux)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &server{ts.URL, &http.Client{Transport: tr}}
}

func (s *server) work(r *rand.Rand) {
	var resp *http.Response
	var err error
	if r.Intn(2) == 0 {
		resp, err = s.client.Get(s.url + "/items")
	} else {
		resp, err = s.client.Post(s.url+"/hash", "application/octet-stream",
			bytes.NewReader(make([]byte, 4096)))
	}
	if err != nil {
		log.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func main() {
	out := flag.String("out", ".", "directory for cpu-NNN.pb.gz")
	n := flag.Int("n", 12, "profiles")
	secs := flag.Float64("seconds", 1, "seconds per profile")
	seed := flag.Int64("seed", 1, "seed of the mixes")
	flag.Parse()

	srv := newServer()
	works := []func(*rand.Rand){jsonWork, gzipWork, regexpWork, sortWork, shaWork,
		templateWork, bigWork, srv.work}
	for p := 0; p < *n; p++ {
		mr := rand.New(rand.NewSource(*seed*1000 + int64(p)))
		weights := make([]int, len(works))
		total := 0
		for i := range weights {
			weights[i] = 1 + mr.Intn(10)
			total += weights[i]
		}
		f, err := os.Create(filepath.Join(*out, fmt.Sprintf("cpu-%03d.pb.gz", p)))
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		var stop int32
		var wg sync.WaitGroup
		for g := 0; g < runtime.GOMAXPROCS(0); g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				r := rand.New(rand.NewSource(*seed*7919 + int64(p*64+g)))
				for atomic.LoadInt32(&stop) == 0 {
					k := r.Intn(total)
					i := 0
					for k >= weights[i] {
						k -= weights[i]
						i++
					}
					works[i](r)
				}
			}(g)
		}
		time.Sleep(time.Duration(*secs * float64(time.Second)))
		atomic.StoreInt32(&stop, 1)
		wg.Wait()
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
