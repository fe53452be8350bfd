package licence

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
	st "github.com/commons-p2p/commons/store/storetest"
)

func dataset(t *testing.T, s *store.Store, k *protocol.Key, name, lic string, parents ...protocol.ID) protocol.ID {
	t.Helper()
	o := st.NewDatasetWith(t, k, protocol.Dataset{Name: name, License: lic, Parents: parents})
	st.MustPut(t, s, o)
	return o.ID
}

// A lineage deeper than the attribution answer's bound (16) is read
// whole: the share-alike licence at depth 40 still binds the subject.
func TestReportReadsTheWholeLineage(t *testing.T) {
	s := st.Open(t)
	k := st.Key(t, "alice")
	notHeld := protocol.ObjectID([]byte(`{"not":"held"}`))
	id := dataset(t, s, k, "root", "CC-BY-SA-3.0")
	for i := range 40 {
		lic := "CC-BY-4.0"
		if i == 39 {
			lic = "CC-BY-SA-4.0"
		}
		parents := []protocol.ID{id}
		if i == 20 {
			parents = append(parents, notHeld)
		}
		id = dataset(t, s, k, "step", lic, parents...)
	}
	r, err := Report(s, nil, nil, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.License != "CC-BY-SA-4.0" || len(r.Upstream) != 41 {
		t.Fatalf("licence %q, %d upstream, want CC-BY-SA-4.0 and 40 datasets and the one not held", r.License, len(r.Upstream))
	}
	deepest := r.Upstream[len(r.Upstream)-1]
	if deepest.Depth != 40 || deepest.License != "CC-BY-SA-3.0" || !slices.Equal(deepest.Properties, []string{"attribution", "share-alike"}) {
		t.Errorf("deepest upstream %+v, want CC-BY-SA-3.0 at depth 40", deepest)
	}
	// The ancestor not held is listed, and its licence cannot be shown
	// kept: the one conflict.
	var missing *api.LicenseUpstream
	for i, u := range r.Upstream {
		if u.ID == notHeld {
			missing = &r.Upstream[i]
		}
	}
	if missing == nil || missing.Kind != "unknown" || missing.Depth != 20 {
		t.Fatalf("the ancestor not held: %+v", missing)
	}
	if r.Compatible || len(r.Conflicts) != 1 || r.Conflicts[0].Upstream != notHeld || !strings.Contains(r.Conflicts[0].Reason, "not held here") {
		t.Fatalf("CC-BY-SA-4.0 over CC-BY-SA-3.0, CC-BY-4.0 and one not held: compatible %v, conflicts %+v", r.Compatible, r.Conflicts)
	}
	// Below it, a subject under CC-BY-4.0 breaks the share-alike term.
	child := dataset(t, s, k, "child", "CC-BY-4.0", id)
	r, err = Report(s, nil, nil, child)
	if err != nil {
		t.Fatal(err)
	}
	if r.Compatible || !slices.ContainsFunc(r.Conflicts, func(c api.LicenseConflict) bool { return strings.Contains(c.Reason, "CC-BY-SA-4.0 is share-alike") }) {
		t.Fatalf("CC-BY-4.0 under CC-BY-SA: compatible %v, conflicts %+v", r.Compatible, r.Conflicts)
	}
}

func TestReportArtifactThroughDerivations(t *testing.T) {
	s := st.Open(t)
	alice, bob := st.Key(t, "alice"), st.Key(t, "bob")
	nc := dataset(t, s, alice, "faces", "CC-BY-NC-4.0")
	mit := dataset(t, s, bob, "code", "MIT")
	base := dataset(t, s, bob, "base", "CC0-1.0")
	mid := dataset(t, s, bob, "cleaned", "CC-BY-4.0", base)
	model := st.FileOf("model.bin", "weights")
	st.MustPut(t, s, st.NewDerivation(t, alice, model, "trained-on", nc, mit, mid))
	art := protocol.ArtifactID(model.Digest)

	r, err := Report(s, nil, nil, art)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range r.Upstream {
		got = append(got, u.Name)
	}
	if len(got) != 4 || got[3] != "base" || r.Upstream[3].Depth != 2 {
		t.Fatalf("upstream %q, want the three inputs at depth 1 then base at depth 2", got)
	}
	if r.License != "" || r.Compatible {
		t.Fatalf("an artifact states no licence: licence %q compatible %v", r.License, r.Compatible)
	}
	if len(r.Conflicts) != 1 || r.Conflicts[0].Upstream != nc || !strings.Contains(r.Conflicts[0].Reason, "non-commercial") {
		t.Errorf("conflicts %+v, want the non-commercial input alone", r.Conflicts)
	}
	var kinds []string
	for _, o := range r.Obligations {
		kinds = append(kinds, o.Kind+" "+o.License)
	}
	if want := []string{"attribution CC-BY-4.0", "attribution CC-BY-NC-4.0", "attribution MIT", "non-commercial CC-BY-NC-4.0"}; !slices.Equal(kinds, want) {
		t.Errorf("obligations %q, want %q", kinds, want)
	}
	// The same answer, byte for byte, on a store that got the objects in
	// another order.
	b1, _ := json.Marshal(r)
	s2 := st.Open(t)
	var objs []*protocol.Object
	_ = s.EachObject(func(id protocol.ID) bool {
		o, err := s.Object(id)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
		return true
	})
	slices.Reverse(objs)
	st.MustPut(t, s2, objs...)
	r2, err := Report(s2, nil, nil, art)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(r2); string(b1) != string(b2) {
		t.Errorf("another order of arrival gives\n%s\nnot\n%s", b2, b1)
	}
}

func TestReportUnknownSubject(t *testing.T) {
	s := st.Open(t)
	for _, id := range []protocol.ID{protocol.ObjectID([]byte(`{"x":1}`)), protocol.ArtifactID(protocol.SumDigest([]byte("no one made it")))} {
		if _, err := Report(s, nil, nil, id); protocol.KindOf(err) != protocol.NotFound {
			t.Errorf("%s: err %v, want not found", id, err)
		}
		if _, err := Notice(s, nil, nil, id, protocol.Asserted); protocol.KindOf(err) != protocol.NotFound {
			t.Errorf("notice of %s: err %v, want not found", id, err)
		}
	}
}

func TestNoticeListsContributorsAtTheLevel(t *testing.T) {
	s := st.Open(t)
	alice, bob, carol := st.Key(t, "alice"), st.Key(t, "bob"), st.Key(t, "carol")
	up := dataset(t, s, alice, "survey", "CC-BY-4.0")
	// bob's claim is mutual (alice, the publisher, co-signs it); carol's
	// only asserted.
	st.MustPut(t, s, st.Cosign(t, st.NewClaim(t, bob, up, bob.DID(), "annotator", 1), alice))
	st.MustPut(t, s, st.NewClaim(t, carol, up, carol.DID(), "author", 1))
	sub := dataset(t, s, bob, "derived", "CC-BY-4.0", up)

	md, err := Notice(s, nil, nil, sub, protocol.Acknowledged)
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	for _, want := range []string{"### survey", "- Licence: CC\\-BY\\-4\\.0 (permissive, attribution)", "`" + alice.DID().String() + "`", "`" + bob.DID().String() + "`, annotator (mutual)"} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, carol.DID().String()) {
		t.Errorf("an asserted claim listed at acknowledged:\n%s", text)
	}
	md, err = Notice(s, nil, nil, sub, protocol.Asserted)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "`"+carol.DID().String()+"`, author (asserted)") {
		t.Errorf("asserted claim missing at asserted:\n%s", md)
	}
	if _, err := Notice(s, nil, nil, sub, protocol.Revoked); protocol.KindOf(err) != protocol.Invalid {
		t.Errorf("min trust revoked: %v, want invalid", err)
	}
}

// A delisted dataset's licence binds all the same: it is listed with the
// status governance gives it, in the answer and in the notice, its reason
// escaped.
func TestStandingOfUpstream(t *testing.T) {
	s := st.Open(t)
	k := st.Key(t, "alice")
	up := dataset(t, s, k, "scraped", "CC-BY-NC-4.0")
	sub := dataset(t, s, k, "derived", "CC-BY-NC-4.0", up)
	standing := func(id protocol.ID) *api.Standing {
		if id == up {
			return &api.Standing{Status: gov.StatusDelisted, Reason: "licence [dispute](https://evil.example)"}
		}
		return nil
	}
	r, err := Report(s, nil, standing, sub)
	if err != nil {
		t.Fatal(err)
	}
	if r.Standing != nil || len(r.Upstream) != 1 || r.Upstream[0].Standing == nil || r.Upstream[0].Standing.Status != gov.StatusDelisted || !r.Compatible {
		t.Fatalf("report %+v", r)
	}
	md, err := Notice(s, nil, standing, sub, protocol.Asserted)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), `- Standing: delisted, licence \[dispute\]\(https\:\/\/evil\.example\)`) {
		t.Errorf("notice:\n%s", md)
	}
}
