//go:build unix

package store_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// childEnv makes TestChildWriter run as the writer of TestDurability:
// "put:DIR" or "batch:DIR".
const childEnv = "COMMONS_STORE_CHILD_WRITER"

// durableLines is how many acknowledged writes the parent reads before it
// kills the writer.
const durableLines = 200

// TestDurability runs a writer process that stores objects in an on-disk
// store and prints each ID the moment Put (or PutBatch) returns, kills it
// with SIGKILL after 200 of them, reopens the store and checks that every
// acknowledged object is there with its indexes.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a writer process")
	}
	for _, mode := range []string{"put", "batch"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+mode+":"+dir)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acked := readAcks(t, cmd, out)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("writer ended with %v, want death by SIGKILL", err)
			}
			s := storetest.OpenDir(t, dir)
			for _, a := range acked {
				checkAcked(t, s, a)
			}
		})
	}
}

// ack is one line of the writer: an object it stored and what it knows
// must now be true.
type ack struct {
	id      protocol.ID
	kind    protocol.ObjectKind
	about   protocol.ID // zero for a dataset
	signers int         // at least this many signatures stored
}

func readAcks(t *testing.T, cmd *exec.Cmd, out interface{ Read([]byte) (int, error) }) []ack {
	t.Helper()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var acked []ack
	deadline := time.After(60 * time.Second)
	for len(acked) < durableLines {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("writer stopped after %d lines", len(acked))
			}
			a, err := parseAck(l)
			if err != nil {
				cmd.Process.Kill()
				t.Fatalf("writer said %q: %v", l, err)
			}
			acked = append(acked, a)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("only %d acknowledged writes in 60 s", len(acked))
		}
	}
	return acked
}

func parseAck(l string) (ack, error) {
	f := strings.Fields(l)
	if len(f) != 5 || f[0] != "stored" {
		return ack{}, fmt.Errorf("not an acknowledgement")
	}
	var a ack
	var err error
	if a.id, err = protocol.ParseID(f[1]); err != nil {
		return a, err
	}
	k, err := strconv.Atoi(f[2])
	a.kind = protocol.ObjectKind(k)
	if err != nil {
		return a, err
	}
	if f[3] != "-" {
		if a.about, err = protocol.ParseID(f[3]); err != nil {
			return a, err
		}
	}
	a.signers, err = strconv.Atoi(f[4])
	return a, err
}

func checkAcked(t *testing.T, s *store.Store, a ack) {
	t.Helper()
	o, err := s.Object(a.id)
	if err != nil {
		t.Errorf("acknowledged %s %s lost: %v", a.kind, a.id, err)
		return
	}
	if o.Kind != a.kind || len(o.Envelope.Signatures) < a.signers {
		t.Errorf("%s: stored as %s with %d signatures, acknowledged as %s with %d", a.id, o.Kind, len(o.Envelope.Signatures), a.kind, a.signers)
	}
	for _, d := range o.Envelope.Signers() {
		if got, _ := s.BySigner(d); !slices.Contains(got, a.id) {
			t.Errorf("%s: missing from the signer index of %s", a.id, d)
		}
	}
	switch a.kind {
	case protocol.KindDataset:
		if loc, _ := s.Locate(o.Files[0].Digest); len(loc) != 1 {
			t.Errorf("dataset %s: Locate = %+v", a.id, loc)
		}
	case protocol.KindAttribution, protocol.KindEndorsement, protocol.KindRevocation:
		sum, ok := s.SummaryOf(a.about, a.id)
		if !ok || len(sum.Signers) < a.signers {
			t.Errorf("%s %s: summary %+v (found %v), want %d signers", a.kind, a.id, sum, ok, a.signers)
		}
	}
	if a.kind == protocol.KindAttribution {
		if got, _ := s.ByContributor(o.Attribution.Contributor); !slices.Contains(got, a.id) {
			t.Errorf("claim %s missing from the contributor index", a.id)
		}
	}
}

// TestChildWriter is the writer process of TestDurability; it does
// nothing in a normal test run.
func TestChildWriter(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("the writer process of TestDurability")
	}
	mode, dir, _ := strings.Cut(spec, ":")
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	ack := func(o *protocol.Object, signers int) {
		about := "-"
		if !o.About.IsZero() {
			about = o.About.String()
		}
		fmt.Printf("stored %s %d %s %d\n", o.ID, o.Kind, about, signers)
	}
	next := writerObjects(t)
	for {
		batch := make([]*protocol.Object, 0, 10)
		for range cap(batch) {
			batch = append(batch, next())
		}
		if mode == "put" {
			for _, o := range batch {
				res, err := s.Put(o)
				if err != nil {
					fmt.Println("put:", err)
					os.Exit(1)
				}
				ack(o, res.Signers)
			}
			continue
		}
		res, err := s.PutBatch(batch)
		if err != nil {
			fmt.Println("put batch:", err)
			os.Exit(1)
		}
		for i, o := range batch {
			if res[i].Err != nil {
				fmt.Println("refused:", res[i].Err)
				os.Exit(1)
			}
			ack(o, res[i].Signers)
		}
	}
}

// writerObjects returns an endless stream of objects: datasets, claims
// about them, cosignatures, endorsements and revocations.
func writerObjects(t *testing.T) func() *protocol.Object {
	c := newCast(t)
	var queue []*protocol.Object
	n := 0
	return func() *protocol.Object {
		if len(queue) == 0 {
			n++
			ds := storetest.NewDataset(t, c.publisher, fmt.Sprint("dataset ", n), storetest.FileOf("data.csv", fmt.Sprint("rows of ", n)))
			claim := storetest.NewClaim(t, c.alice, ds.ID, storetest.Key(t, fmt.Sprint("contributor ", n)).DID(), "annotator", 0.5)
			queue = append(queue, ds, claim,
				storetest.Cosign(t, claim, c.publisher),
				storetest.NewEndorsement(t, c.steward, claim.ID, "checked"),
				storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "author", 1))
			if n%3 == 0 {
				queue = append(queue, storetest.NewRevocation(t, c.alice, claim.ID, "superseded"))
			}
		}
		o := queue[0]
		queue = queue[1:]
		return o
	}
}
