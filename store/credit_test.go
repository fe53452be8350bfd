package store_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

func creditOf(t testing.TB, s *store.Store, subject protocol.ID, p protocol.Policy, min protocol.Trust, delisted func(protocol.ID) bool) *credit.Result {
	t.Helper()
	g, err := s.CreditGraph(subject, p, min, delisted)
	if err != nil {
		t.Fatal(err)
	}
	return credit.Compute(g, min)
}

func sharesOf(r *credit.Result) map[protocol.DID]credit.Amount {
	out := map[protocol.DID]credit.Amount{}
	for _, s := range r.Shares {
		out[s.Contributor] = s.Share
	}
	return out
}

// mutualClaim is a claim by the subject's publisher about contributor,
// co-signed by the contributor: mutual (SPEC.md §4.5).
func mutualClaim(t testing.TB, publisher, contributor *protocol.Key, subject protocol.ID, w float64) []*protocol.Object {
	cl := storetest.NewClaim(t, publisher, subject, contributor.DID(), "author", w)
	return []*protocol.Object{cl, storetest.Cosign(t, cl, contributor)}
}

// TestCreditGraphWeights: the weights of parent_weights and input_weights
// are read back from the index, and the shares follow SPEC.md §4.7.
func TestCreditGraphWeights(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	p1 := storetest.NewDataset(t, c.alice, "p1")
	p2 := storetest.NewDataset(t, c.bob, "p2")
	child := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Parents: []protocol.ID{p1.ID, p2.ID}, ParentWeights: []float64{1, 0.5}})
	storetest.MustPut(t, s, p1, p2, child)
	storetest.MustPut(t, s, mutualClaim(t, c.publisher, c.carol, child.ID, 0.5)...)
	storetest.MustPut(t, s, mutualClaim(t, c.alice, c.alice, p1.ID, 1)[:1]...) // the publisher about itself: asserted
	storetest.MustPut(t, s, mutualClaim(t, c.bob, c.carol, p2.ID, 1)...)
	g, err := s.CreditGraph(child.ID, nil, protocol.Acknowledged, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := g.Nodes[child.ID].Inputs
	want := map[protocol.ID]float64{p1.ID: 1, p2.ID: 0.5}
	if len(in) != 2 || want[in[0].ID] != in[0].Weight || want[in[1].ID] != in[1].Weight {
		t.Fatalf("inputs %+v, want p1 at 1 and p2 at 0.5", in)
	}
	// child: carol 0.5, p1 1, p2 0.5 (of 2). p1 has no counted claim: its
	// half is unattributed; p2's quarter goes to carol.
	got := creditOf(t, s, child.ID, nil, protocol.Acknowledged, nil)
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.carol.DID(): credit.One / 2}) || got.Unattributed != credit.One/2 {
		t.Errorf("shares %v unattributed %d", sh, got.Unattributed)
	}
	got = creditOf(t, s, child.ID, nil, protocol.Asserted, nil)
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.carol.DID(): credit.One / 2, c.alice.DID(): credit.One / 2}) {
		t.Errorf("at asserted: shares %v", sh)
	}
	got = creditOf(t, s, child.ID, nil, protocol.Asserted, func(id protocol.ID) bool { return id == p1.ID })
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.carol.DID(): credit.One / 2}) || got.Unattributed != credit.One/2 {
		t.Errorf("p1 delisted: shares %v unattributed %d", sh, got.Unattributed)
	}
}

// TestCreditDeepLineage: the graph holds the whole lineage, past the
// limits of the attribution's lineage (MaxLineageDepth, MaxLineageAncestors).
func TestCreditDeepLineage(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	n := store.MaxLineageAncestors + 50
	prev := storetest.NewDataset(t, c.publisher, "gen 0")
	first := prev
	batch := []*protocol.Object{prev}
	for i := 1; i <= n; i++ {
		prev = storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: fmt.Sprint("gen ", i), Parents: []protocol.ID{prev.ID}})
		batch = append(batch, prev)
	}
	storetest.MustPut(t, s, batch...)
	storetest.MustPut(t, s, mutualClaim(t, c.publisher, c.alice, first.ID, 1)...)
	g, err := s.CreditGraph(prev.ID, nil, protocol.Mutual, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != n+1 {
		t.Fatalf("%d nodes, want %d", len(g.Nodes), n+1)
	}
	got := credit.Compute(g, protocol.Mutual)
	if sh := sharesOf(got); sh[c.alice.DID()] != credit.One || len(got.Shares[0].Paths[0].Route) != n+1 {
		t.Errorf("the only contributor, %d generations up, has %v", n, sh)
	}
}

// TestCreditArrivalOrder: the same objects stored in any order give the
// same answer.
func TestCreditArrivalOrder(t *testing.T) {
	c := newCast(t)
	missing := protocol.ObjectID([]byte("never seen"))
	grand := storetest.NewDataset(t, c.carol, "grand")
	p1 := storetest.NewDatasetWith(t, c.bob, protocol.Dataset{Name: "p1", Parents: []protocol.ID{grand.ID}})
	p2 := storetest.NewDatasetWith(t, c.bob, protocol.Dataset{Name: "p2", Parents: []protocol.ID{grand.ID, missing}, ParentWeights: []float64{0.25, 1}})
	child := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Parents: []protocol.ID{p1.ID, p2.ID}})
	objs := []*protocol.Object{grand, p1, p2, child}
	objs = append(objs, mutualClaim(t, c.carol, c.alice, grand.ID, 0.7)...)
	objs = append(objs, mutualClaim(t, c.bob, c.alice, p1.ID, 0.2)...)
	objs = append(objs, mutualClaim(t, c.bob, c.mallory, p2.ID, 0.9)...)
	objs = append(objs, mutualClaim(t, c.publisher, c.steward, child.ID, 1)...)
	var want *credit.Result
	r := rand.New(rand.NewPCG(1, 1))
	for range 4 {
		r.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
		s := storetest.Open(t)
		for _, o := range objs {
			storetest.MustPut(t, s, o)
		}
		got := creditOf(t, s, child.ID, nil, protocol.Mutual, nil)
		if want == nil {
			want = got
			if len(got.Missing) != 1 || got.Missing[0] != missing || len(got.Shares) != 3 {
				t.Fatalf("%+v", got)
			}
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("another order of arrival gives another answer")
		}
	}
}

// TestCreditSigners: the keys that signed a claim about any node of the
// lineage without being its issuer, its contributor or that node's
// publisher are listed, once each, in did:key order; the others are not.
func TestCreditSigners(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	parent := storetest.NewDataset(t, c.alice, "parent")
	child := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Parents: []protocol.ID{parent.ID}})
	storetest.MustPut(t, s, parent, child)
	// About the parent: issued by the publisher for carol, co-signed by
	// carol (a role) and by bob and mallory (none).
	aboutParent := storetest.NewClaim(t, c.publisher, parent.ID, c.carol.DID(), "author", 1)
	storetest.MustPut(t, s, aboutParent, storetest.Cosign(t, storetest.Cosign(t, storetest.Cosign(t, aboutParent, c.carol), c.bob), c.mallory))
	// About the child: co-signed by its publisher (a role) and by bob again.
	aboutChild := storetest.NewClaim(t, c.carol, child.ID, c.carol.DID(), "curator", 1)
	storetest.MustPut(t, s, aboutChild, storetest.Cosign(t, storetest.Cosign(t, aboutChild, c.publisher), c.bob))
	got, err := s.CreditSigners(child.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.DID{c.bob.DID(), c.mallory.DID()}
	slices.SortFunc(want, protocol.CompareDIDs)
	if !slices.Equal(got, want) {
		t.Fatalf("signers %v, want bob and mallory %v", got, want)
	}
}
