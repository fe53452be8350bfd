//go:build unix

package store_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// TestMeasureNationalStore fills a store on disk with
// COMMONS_STORE_CLAIMS objects (default 10^6) of a national archive's
// shape, through Store.PutBatch in batches of 1,024 as bulk ingest
// stores them, every commit synced; then measures what the store costs
// and how fast it answers:
//
//	COMMONS_LONG=1 go test -run TestMeasureNationalStore -v -timeout 3h ./store/
//	COMMONS_LONG=1 COMMONS_STORE_CLAIMS=10000000 go test -run TestMeasureNationalStore -v -timeout 6h ./store/
//
// The objects: many datasets (1 in 100 objects; 2–8 files each, one in
// ten with a parent), attributions about them by 2,000 issuers naming
// 100,000 contributors (one in five cosigned by the dataset's publisher),
// endorsements of claims and of datasets by 20 stewards, revocations of
// claims and endorsements by their issuers; and one hot dataset with
// 10,000 attributions spread over the whole run, one in ten endorsed and
// one in thirty revoked. Every object is signed with a real Ed25519 key.
//
// Signing 10^7 envelopes takes minutes, so they are written once, in
// order, to a cache file under the system's temporary directory
// (COMMONS_STORE_CACHE names another) and read back by later runs; the
// cache holds each envelope's bytes as Envelope.Encode wrote them, and a
// run decodes and parses each (protocol.DecodeEnvelope, ParseObject)
// without checking its signatures again unless COMMONS_STORE_VERIFY=1
// (protocol.VerifyObjects): what this measures is the store, and the
// signature checks of bulk ingest have their own benchmark (node,
// BenchmarkIngest).
//
// It reports: ingest rate and CPU per object (decoding on other
// goroutines, alongside); disk bytes after Close (.sst, .vlog, all
// files) per object and their ratio to the mean encoded envelope
// (x-envelope); bytes per key family and Badger's tables; the time to
// reopen; the hot subject's attribution, cold then p50/p95/p99 of 200
// runs; Datasets() (what `dataset list` reads); ClaimsPage of the hot
// subject, page by page (first, middle, last); and peak resident memory
// of the ingest and of the queries (VmHWM, reset before each).
// COMMONS_STORE_HEAPPROFILE=FILE writes a heap profile at the end of the
// ingest. COMMONS_STORE_DIR=DIR keeps the store in DIR/badger instead of
// a temporary directory; with COMMONS_STORE_REUSE=1 a later run only
// reopens and queries the store it finds there.
func TestMeasureNationalStore(t *testing.T) {
	if os.Getenv("COMMONS_LONG") == "" {
		t.Skip("set COMMONS_LONG=1 to run the national store measurement")
	}
	n := 1_000_000
	if v := os.Getenv("COMMONS_STORE_CLAIMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 20_000 {
			t.Fatalf("COMMONS_STORE_CLAIMS=%q: want a whole number of at least 20000", v)
		}
	}
	cache := os.Getenv("COMMONS_STORE_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), fmt.Sprintf("commons-national-%d-v1.envelopes", n))
	}
	g := newNationalShape(t, n)
	if _, err := os.Stat(cache); err != nil {
		start := time.Now()
		if err := g.writeCache(cache); err != nil {
			t.Fatal(err)
		}
		t.Logf("signed and wrote %d envelopes to %s in %v", n, cache, time.Since(start).Round(time.Second))
	} else {
		t.Logf("envelopes from %s (made by an earlier run; delete it to sign afresh)", cache)
	}

	dir := os.Getenv("COMMONS_STORE_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "badger")
	in := ingestResult{objects: n}
	if _, err := os.Stat(dir); err == nil && os.Getenv("COMMONS_STORE_REUSE") == "1" {
		t.Logf("queries only, on the store already in %s", dir)
	} else {
		in = fillNationalStore(t, dir, cache)
	}

	// Reopen and query.
	resetPeakRSS()
	start := time.Now()
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Logf("reopen: %v; memory: %s", time.Since(start).Round(time.Millisecond), memoryMB())
	t.Logf("badger tables:\n%s", s.TableStats())

	policy := protocol.Stewards{}
	for _, k := range g.stewards {
		policy[k.DID()] = true
	}
	start = time.Now()
	a, err := s.Attribution(g.hot, policy)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attribution of the hot subject, cold: %v, %d contributors, %d endorsements; memory: %s", time.Since(start).Round(time.Microsecond), len(a.Contributors), len(a.Endorsements), memoryMB())
	if len(a.Contributors) != g.hotClaims {
		t.Errorf("%d contributors of the hot subject, want %d (%d of them withdrawn)", len(a.Contributors), g.hotClaims, g.hotRevoked)
	}
	// On a shared machine the time on the clock says as much about the
	// other work as about the query: the CPU time of the process during
	// each run (the query's two goroutines, the collector's, and whatever
	// Badger does meanwhile) is reported beside it, and the load average.
	const runs = 200
	times, cpus := make([]time.Duration, runs), make([]time.Duration, runs)
	for i := range times {
		start, cpu0 := time.Now(), cpuTime()
		if _, err := s.Attribution(g.hot, policy); err != nil {
			t.Fatal(err)
		}
		times[i], cpus[i] = time.Since(start), cpuTime()-cpu0
	}
	slices.Sort(times)
	slices.Sort(cpus)
	t.Logf("attribution of the hot subject (%d claims), %d runs: p50 %v, p95 %v, p99 %v, max %v; CPU per run p50 %v, p95 %v, p99 %v; load average %s",
		g.hotClaims, runs, pct(times, 50), pct(times, 95), pct(times, 99), times[runs-1], pct(cpus, 50), pct(cpus, 95), pct(cpus, 99), loadAverage())

	// A subject with few claims, for comparison in the same run.
	small := g.datasetID(g.chunks/2, 3)
	times = times[:0]
	for range runs {
		start := time.Now()
		if _, err := s.Attribution(small, policy); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	t.Logf("attribution of an ordinary dataset, %d runs: p50 %v, p95 %v", runs, pct(times, 50), pct(times, 95))

	for i := range 3 {
		start, cpu0 := time.Now(), cpuTime()
		ds, err := s.Datasets()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Datasets() (dataset list), run %d: %d datasets in %v, CPU %v; load average %s", i+1, len(ds), time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond), loadAverage())
	}

	var pages []time.Duration
	var after protocol.ID
	ids := 0
	cpu0 := cpuTime()
	for {
		start := time.Now()
		page, more, err := s.ClaimsPage(g.hot, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, time.Since(start))
		ids += len(page)
		if !more {
			break
		}
		after = page[len(page)-1]
	}
	t.Logf("ClaimsPage of the hot subject, limit 1000: %d IDs in %d pages; first %v, middle %v, last %v; CPU %v a page on average",
		ids, len(pages), pages[0].Round(time.Microsecond), pages[len(pages)/2].Round(time.Microsecond), pages[len(pages)-1].Round(time.Microsecond),
		((cpuTime() - cpu0) / time.Duration(len(pages))).Round(time.Microsecond))
	start = time.Now()
	page, _, err := s.DatasetsPage(g.sharedDigest, protocol.ID{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DatasetsPage of a digest in %d datasets: first page %d IDs in %v", g.sharedDigestIn, len(page), time.Since(start).Round(time.Microsecond))
	t.Logf("memory since reopen: %s", memoryMB())

	start = time.Now()
	fams, err := s.FamilySizes()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for f := range fams {
		names = append(names, f)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, f := range names {
		v := fams[f]
		fmt.Fprintf(&b, "%-12s %10d keys, key bytes %12d (%.1f/object), value bytes %12d (%.1f/object)\n",
			f, v.Keys, v.KeyBytes, float64(v.KeyBytes)/float64(in.objects), v.ValueBytes, float64(v.ValueBytes)/float64(in.objects))
	}
	t.Logf("key families (read in %v):\n%s", time.Since(start).Round(time.Second), b.String())
}

// fillNationalStore stores the envelopes of cache in a new store in dir,
// closes it and reports what it took.
func fillNationalStore(t *testing.T, dir, cache string) ingestResult {
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	resetPeakRSS()
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingestCache(t, s, cache, os.Getenv("COMMONS_STORE_VERIFY") == "1")
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Logf("ingest: %d objects (%d new) in %v: %.0f objects/s; PutBatch alone %v (%.0f objects/s); CPU %.1f µs/object (decoding included); peak RSS %.0f MB",
		in.objects, in.new, in.wall.Round(time.Second), float64(in.objects)/in.wall.Seconds(),
		in.put.Round(time.Second), float64(in.objects)/in.put.Seconds(),
		float64(in.cpu)/float64(in.objects)/1e3, peakRSSMB())
	t.Logf("memory at the end of ingest: %s", memoryMB())
	if path := os.Getenv("COMMONS_STORE_HEAPPROFILE"); path != "" {
		// What the heap holds at the end of the ingest, the store open.
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Logf("heap profile in %s; after a collection: %s", path, memoryMB())
	}
	t.Logf("mean encoded envelope: %.1f bytes (%d bytes in all)", float64(in.envBytes)/float64(in.objects), in.envBytes)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("close: %v", time.Since(start).Round(time.Millisecond))
	disk := diskUse(t, dir)
	meanEnv := float64(in.envBytes) / float64(in.objects)
	t.Logf("disk after close: .sst %d, .vlog %d, all files %d bytes; per object: .sst+.vlog %.1f bytes, all %.1f bytes; x-envelope (.sst+.vlog per object / mean envelope) %.2f",
		disk.sst, disk.vlog, disk.all, float64(disk.sst+disk.vlog)/float64(in.objects), float64(disk.all)/float64(in.objects),
		float64(disk.sst+disk.vlog)/float64(in.objects)/meanEnv)

	return in
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:min(3, len(strings.Fields(string(b))))], " ")
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))].Round(time.Microsecond)
}

// nationalShape makes the objects of the measurement, the same at every
// run: keys and contents come from fixed seeds.
type nationalShape struct {
	t            testing.TB
	n            int
	chunk        int // objects per chunk; chunks are made in parallel
	chunks       int
	publishers   []*protocol.Key
	issuers      []*protocol.Key
	stewards     []*protocol.Key
	contributors []protocol.DID
	hotKey       *protocol.Key
	hotObj       []byte // the hot dataset's envelope
	hot          protocol.ID
	hotClaims    int
	hotRevoked   int

	sharedDigest   protocol.Digest // a file listed by one dataset of each chunk
	sharedDigestIn int
}

const nationalHotClaims = 10_000

func seededKey(t testing.TB, name string) *protocol.Key {
	seed := sha256.Sum256([]byte("national " + name))
	k, err := protocol.KeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newNationalShape(t testing.TB, n int) *nationalShape {
	g := &nationalShape{t: t, n: n, chunk: 10_000}
	g.chunks = (n - 1 + g.chunk - 1) / g.chunk // the hot dataset first, then the chunks
	keys := func(name string, count int) []*protocol.Key {
		out := make([]*protocol.Key, count)
		for i := range out {
			out[i] = seededKey(t, fmt.Sprint(name, i))
		}
		return out
	}
	g.publishers, g.issuers, g.stewards = keys("publisher ", 200), keys("issuer ", 2000), keys("steward ", 20)
	contributors := make([]protocol.DID, 100_000)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < len(contributors); i += runtime.GOMAXPROCS(0) {
				contributors[i] = seededKey(t, fmt.Sprint("contributor ", i)).DID()
			}
		})
	}
	wg.Wait()
	g.contributors = contributors
	g.hotKey = g.publishers[0]
	env := g.sign(protocol.KindDataset, protocol.FileSubjects([]protocol.File{fileOf("hot", 0)}),
		protocol.Dataset{Name: "national broadcaster archive", License: "CC-BY-4.0", Publisher: g.hotKey.DID(), Created: nationalEpoch}, g.hotKey)
	g.hotObj, g.hot = env.Encode(), env.ID()
	g.sharedDigest = fileOf("shared", 0).Digest
	// Counted as the chunks are made; made here too, so that a run reading
	// the cache knows them.
	for c := range g.chunks {
		hot, revoked := g.hotIn(c)
		g.hotClaims += hot
		g.hotRevoked += revoked
	}
	g.sharedDigestIn = g.chunks
	return g
}

var nationalEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func fileOf(name string, i int) protocol.File {
	return protocol.File{Name: name, Digest: protocol.SumDigest([]byte(fmt.Sprint(name, " ", i))), Size: int64(4096 + i%10000)}
}

func (g *nationalShape) sign(k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) *protocol.Envelope {
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		g.t.Fatal(err)
	}
	for _, key := range keys {
		key.Sign(env)
	}
	return env
}

// hotIn returns how many attributions of the hot subject chunk c makes,
// and how many of those it revokes.
func (g *nationalShape) hotIn(c int) (claims, revoked int) {
	lo, hi := nationalHotClaims*c/g.chunks, nationalHotClaims*(c+1)/g.chunks
	for i := lo; i < hi; i++ {
		if i%30 == 29 {
			revoked++
		}
	}
	return hi - lo, revoked
}

// datasetID returns the ID of dataset d of chunk c, made again.
func (g *nationalShape) datasetID(c, d int) protocol.ID {
	objs := g.makeChunk(c)
	for _, raw := range objs {
		env, err := protocol.DecodeEnvelope(raw)
		if err != nil {
			g.t.Fatal(err)
		}
		o, err := protocol.ParseObject(env)
		if err != nil {
			g.t.Fatal(err)
		}
		if o.Kind == protocol.KindDataset {
			if d == 0 {
				return o.ID
			}
			d--
		}
	}
	g.t.Fatalf("chunk %d has fewer datasets", c)
	return protocol.ID{}
}

// makeChunk returns the encoded envelopes of chunk c, in the order they
// are stored: every object after what it names.
func (g *nationalShape) makeChunk(c int) [][]byte {
	size := min(g.chunk, g.n-1-c*g.chunk)
	rng := rand.New(rand.NewPCG(uint64(c), 0x6e6174696f6e616c))
	clock := nationalEpoch.Add(time.Duration(1+c*g.chunk) * time.Second)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	out := make([][]byte, 0, size)
	add := func(env *protocol.Envelope) protocol.ID {
		out = append(out, env.Encode())
		return env.ID()
	}
	type dataset struct {
		id        protocol.ID
		publisher *protocol.Key
	}
	var datasets []dataset
	nds := max(1, size/100)
	for d := range nds {
		pub := g.publishers[rng.IntN(len(g.publishers))]
		files := make([]protocol.File, 2+rng.IntN(7))
		for f := range files {
			files[f] = fileOf(fmt.Sprintf("series-%d/episode-%03d.mxf", c*nds+d, f), c*1000+d*10+f)
		}
		if d == 0 {
			files[0] = fileOf("shared", 0)
		}
		ds := protocol.Dataset{Name: fmt.Sprintf("archive series %d", c*nds+d), License: "CC-BY-4.0", Publisher: pub.DID(), Created: now(), Version: "1"}
		if d > 0 && rng.IntN(10) == 0 {
			ds.Parents = []protocol.ID{datasets[rng.IntN(len(datasets))].id}
		}
		if rng.IntN(3) == 0 {
			ds.Description = "Programmes of the national archive, digitised from tape."
		}
		datasets = append(datasets, dataset{add(g.sign(protocol.KindDataset, protocol.FileSubjects(files), ds, pub)), pub})
	}
	roles := []string{"author", "annotator", "editor", "translator", "curator", "transcriber"}
	type claim struct {
		id     protocol.ID
		issuer *protocol.Key
	}
	attribute := func(subject protocol.ID, publisher *protocol.Key) claim {
		iss := g.issuers[rng.IntN(len(g.issuers))]
		a := protocol.Attribution{Issuer: iss.DID(), Contributor: g.contributors[rng.IntN(len(g.contributors))],
			Role: roles[rng.IntN(len(roles))], Weight: float64(1+rng.IntN(100)) / 100, Created: now()}
		if rng.IntN(4) == 0 {
			a.Note = "transcribed from the broadcast log"
		}
		keys := []*protocol.Key{iss}
		if rng.IntN(5) == 0 && publisher != iss {
			keys = append(keys, publisher)
		}
		return claim{add(g.sign(protocol.KindAttribution, protocol.ReferenceSubject(subject), a, keys...)), iss}
	}
	endorse := func(subject protocol.ID) claim {
		st := g.stewards[rng.IntN(len(g.stewards))]
		e := protocol.Endorsement{Issuer: st.DID(), Standard: "checked", Created: now()}
		if rng.IntN(2) == 0 {
			e.Level = "full"
		}
		return claim{add(g.sign(protocol.KindEndorsement, protocol.ReferenceSubject(subject), e, st)), st}
	}
	revoke := func(target claim) {
		r := protocol.Revocation{Issuer: target.issuer.DID(), Reason: "withdrawn", Created: now()}
		add(g.sign(protocol.KindRevocation, protocol.ReferenceSubject(target.id), r, target.issuer))
	}

	if c == 0 {
		endorse(g.hot)
		endorse(g.hot)
	}
	if c == 0 {
		endorse(g.hot)
		endorse(g.hot)
	}
	lo, hi := nationalHotClaims*c/g.chunks, nationalHotClaims*(c+1)/g.chunks
	for i := lo; i < hi; i++ {
		cl := attribute(g.hot, g.hotKey)
		if i%10 == 3 {
			endorse(cl.id)
		}
		if i%30 == 29 {
			revoke(cl)
		}
	}
	var recent []claim
	for len(out) < size {
		switch r := rng.IntN(100); {
		case r < 82 || len(recent) == 0:
			ds := datasets[rng.IntN(len(datasets))]
			recent = append(recent, attribute(ds.id, ds.publisher))
		case r < 92:
			e := endorse(recent[rng.IntN(len(recent))].id)
			if rng.IntN(20) == 0 {
				revoke(e)
			}
		case r < 96:
			endorse(datasets[rng.IntN(len(datasets))].id)
		default:
			revoke(recent[rng.IntN(len(recent))])
		}
	}
	return out[:size] // a revocation may have run over by one; drop it
}

// writeCache signs every envelope, chunks in parallel, and writes them in
// order to path: each as a uvarint length and its bytes.
func (g *nationalShape) writeCache(path string) error {
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	put := func(raw []byte) {
		w.Write(binary.AppendUvarint(nil, uint64(len(raw))))
		w.Write(raw)
	}
	put(g.hotObj)
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan [][]byte, g.chunks)
	for c := range results {
		results[c] = make(chan [][]byte, 1)
	}
	next := make(chan int)
	go func() {
		for c := range g.chunks {
			next <- c
		}
		close(next)
	}()
	sem := make(chan struct{}, 2*workers) // chunks made but not yet written
	for range workers {
		go func() {
			for c := range next {
				sem <- struct{}{}
				results[c] <- g.makeChunk(c)
			}
		}()
	}
	for c := range g.chunks {
		for _, raw := range <-results[c] {
			put(raw)
		}
		<-sem
		if c%100 == 99 {
			g.t.Logf("signed %d of %d chunks", c+1, g.chunks)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type ingestResult struct {
	objects, new int
	envBytes     int64
	wall, put    time.Duration
	cpu          time.Duration
}

// ingestCache stores the envelopes of the cache through PutBatch, in
// batches of 1,024, decoding the next batches on other goroutines while
// the store writes.
func ingestCache(t testing.TB, s *store.Store, path string, verify bool) (ingestResult, error) {
	const batch = 1024
	f, err := os.Open(path)
	if err != nil {
		return ingestResult{}, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	type job struct {
		raws [][]byte
		objs []*protocol.Object
		err  error
		done chan struct{}
	}
	jobs := make(chan *job, 4)
	work := make(chan *job, 4)
	var readErr error
	go func() {
		defer close(jobs)
		defer close(work)
		for {
			j := &job{done: make(chan struct{})}
			for len(j.raws) < batch {
				l, err := binary.ReadUvarint(r)
				if err == io.EOF {
					break
				}
				if err != nil {
					readErr = err
					return
				}
				raw := make([]byte, l)
				if _, err := io.ReadFull(r, raw); err != nil {
					readErr = err
					return
				}
				j.raws = append(j.raws, raw)
			}
			if len(j.raws) == 0 {
				return
			}
			work <- j
			jobs <- j
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for j := range work {
				if verify {
					objs, errs := protocol.VerifyObjects(j.raws)
					j.objs = objs
					for _, e := range errs {
						if e != nil {
							j.err = e
						}
					}
				} else {
					for _, raw := range j.raws {
						env, err := protocol.DecodeEnvelope(raw)
						if err == nil {
							var o *protocol.Object
							o, err = protocol.ParseObject(env)
							j.objs = append(j.objs, o)
						}
						if err != nil {
							j.err = err
							break
						}
					}
				}
				close(j.done)
			}
		}()
	}
	var res ingestResult
	start, cpu0 := time.Now(), cpuTime()
	lastLog := start
	for j := range jobs {
		<-j.done
		if j.err != nil {
			return res, j.err
		}
		putStart := time.Now()
		results, err := s.PutBatch(j.objs)
		res.put += time.Since(putStart)
		if err != nil {
			return res, err
		}
		for i, pr := range results {
			if pr.Err != nil {
				return res, fmt.Errorf("object %d: %w", res.objects+i, pr.Err)
			}
			if pr.New {
				res.new++
			}
		}
		for _, raw := range j.raws {
			res.envBytes += int64(len(raw))
		}
		res.objects += len(j.raws)
		if time.Since(lastLog) > time.Minute {
			lastLog = time.Now()
			el := time.Since(start)
			t.Logf("ingest: %d objects in %v (%.0f/s)", res.objects, el.Round(time.Second), float64(res.objects)/el.Seconds())
		}
	}
	res.wall, res.cpu = time.Since(start), cpuTime()-cpu0
	return res, readErr
}

type diskBytes struct{ sst, vlog, all int64 }

func diskUse(t testing.TB, dir string) diskBytes {
	var d diskBytes
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		// Allocated blocks, as du counts them; Badger preallocates its
		// value log and memtable files.
		size := info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			size = st.Blocks * 512
		}
		switch filepath.Ext(path) {
		case ".sst":
			d.sst += size
		case ".vlog":
			d.vlog += size
		}
		d.all += size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// resetPeakRSS resets the kernel's VmHWM of this process (Linux).
// The heap is returned to the system first, so that what an earlier phase
// left does not count.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// memoryMB returns VmHWM, VmRSS and its anonymous and file-backed parts
// (mapped tables), in MB.
func memoryMB() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []string{"VmHWM:", "VmRSS:", "RssAnon:", "RssFile:"} {
			if rest, ok := strings.CutPrefix(line, f); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				out = append(out, fmt.Sprintf("%s %.0f MB", strings.TrimSuffix(f, ":"), float64(kb)/1024))
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out = append(out, fmt.Sprintf("Go heap in use %.0f MB (of %.0f MB from the system)", float64(ms.HeapInuse)/(1<<20), float64(ms.HeapSys)/(1<<20)))
	return strings.Join(out, ", ")
}

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
