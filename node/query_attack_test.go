package node

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
)

// Attacks by a peer on the queries a node makes across the network, and
// the rules that stop them (SPEC.md §7.3, §7.5).

// listingSource is a fetch source that answers every claims request with
// the IDs in list, whatever the subject: a peer that passes off what it
// holds as what was asked for.
type listingSource struct {
	storeSource
	list []protocol.ID
}

func (s listingSource) ClaimsAbout(_, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return pageOf(s.list, after, limit)
}

// pageOf answers a list request with the IDs of list, as a server pages
// them (SPEC.md §7.3): sorted by text, after after, at most limit.
func pageOf(list []protocol.ID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	all := slices.Clone(list)
	slices.SortFunc(all, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	i := 0
	for i < len(all) && !after.IsZero() && all[i].String() <= after.String() {
		i++
	}
	end := min(i+limit, len(all))
	return all[i:end], end < len(all), nil
}

// TestClaimsAnswerCheckedAgainstQuestion: asked for the claims about a
// dataset, a peer lists, besides them, a claim about another dataset and
// that dataset. The asker stores neither and penalises the peer: every
// object a peer gives is checked against the question.
func TestClaimsAnswerCheckedAgainstQuestion(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, hostile := nodes[0], nodes[1]
	ctx := t.Context()
	asked := mustDataset(t, hostile.Node, "asked about")
	claim, err := hostile.AddClaim(ctx, api.AddClaimRequest{Subject: asked.ID, Role: "author", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	other := mustDataset(t, hostile.Node, "unrelated")
	unrelated, err := hostile.AddClaim(ctx, api.AddClaimRequest{Subject: other.ID, Role: "curator", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, hostile)
	src := listingSource{storeSource: storeSource{hostile.store}, list: []protocol.ID{claim.ID, unrelated.ID, other.ID}}
	fetch.NewServer(hostile.repo.Network, src, fetch.ServerOptions{}).Register(hostile.Host())

	if _, err := victim.Attribution(ctx, asked.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []protocol.ID{unrelated.ID, other.ID} {
		if ok, _ := victim.store.Has(id); ok {
			t.Errorf("stored %s, which is not about %s", id, asked.ID)
		}
	}
	if s := victim.scoreOf(hostile.Host().ID()); s >= 0 {
		t.Errorf("the peer that listed unrelated objects has score %v, want a penalty", s)
	}
}

// TestClaimsOfClaimsAccepted: the claims op also lists the claims about
// each claim (an endorsement of an attribution); they are what was asked
// for, whatever the order they come in, and are stored without penalty.
func TestClaimsOfClaimsAccepted(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	asker, holder := nodes[0], nodes[1]
	ctx := t.Context()
	ds := mustDataset(t, holder.Node, "endorsed claims")
	var want []protocol.ID
	for i := range 6 {
		c, err := holder.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "author", Weight: 0.1 + 0.1*float64(i)})
		if err != nil {
			t.Fatal(err)
		}
		e, err := holder.Endorse(ctx, api.EndorseRequest{Subject: c.ID, Standard: "checked", Level: "full"})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID, e.ID)
	}
	waitAnnounced(t, holder)
	if _, err := asker.Attribution(ctx, ds.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, id := range want {
		if ok, _ := asker.store.Has(id); !ok {
			t.Errorf("%s, a claim about the subject or about one of its claims, was not stored", id)
		}
	}
	if s := asker.scoreOf(holder.Host().ID()); s < 0 {
		t.Errorf("an honest holder was penalised: %v", s)
	}
}

// TestSearchHoldsBoundedBytes: a provider lists large datasets — here three
// of about 2 MB, where a hostile one could list 256 of 4 MiB at a time. The
// search stores them in batches as they arrive, none over
// swarm.SearchBatchBytes, instead of holding a whole answer.
func TestSearchHoldsBoundedBytes(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	asker, holder := nodes[0], nodes[1]
	ctx := t.Context()
	shared := fileEntry("shared.csv", "in every dataset")
	long := strings.Repeat("long-directory-name/", 45)
	var want []protocol.ID
	for i := range 3 {
		files := []api.FileEntry{shared}
		for j := range 2000 {
			files = append(files, fileEntry(fmt.Sprintf("%sfile-%d-%d", long, i, j), fmt.Sprint(i, "/", j)))
		}
		p, err := holder.AddDataset(ctx, api.AddDatasetRequest{Name: fmt.Sprint("large ", i), License: "MIT", Files: files})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p.ID)
	}
	waitAnnounced(t, holder)

	// The bound on the search is generous: under -race on a busy machine,
	// verifying 6 MB of datasets takes tens of seconds, and the subject
	// here is the batches, not the speed.
	s, cancel := asker.newSearch(ctx, api.QueryOptions{Timeout: 2 * time.Minute})
	defer cancel()
	var mu sync.Mutex
	var batches []int
	s.Store = func(objs []*protocol.Object) []error {
		size := 0
		for _, o := range objs {
			size += len(o.Envelope.Payload)
		}
		mu.Lock()
		batches = append(batches, size)
		mu.Unlock()
		return asker.storeFetched(objs)
	}
	d, _ := protocol.ParseDigest("sha256:" + shared.SHA256)
	s.DatasetsWithFile(d)
	for _, id := range want {
		if ok, _ := asker.store.Has(id); !ok {
			t.Fatalf("dataset %s not fetched", id)
		}
	}
	total := 0
	for _, b := range batches {
		total += b
		if b > swarm.SearchBatchBytes {
			t.Errorf("a batch of %d bytes held at once, over %d", b, swarm.SearchBatchBytes)
		}
	}
	if total <= swarm.SearchBatchBytes {
		t.Fatalf("the datasets total %d bytes: the test shows nothing", total)
	}
}
