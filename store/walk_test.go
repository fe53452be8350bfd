package store_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestWalks checks that EachObject, EachFile and EachSubject visit each
// value once, in order, across more than one page, and stop when asked.
func TestWalks(t *testing.T) {
	s := storetest.Open(t)
	pub := storetest.Key(t, "pub")
	var (
		objects  []protocol.ID
		digests  = map[protocol.Digest]bool{}
		subjects = map[protocol.ID]bool{}
	)
	shared := storetest.FileOf("shared.txt", "in every dataset")
	const datasets = 1100 // more than a page
	for i := range datasets {
		f := storetest.FileOf(fmt.Sprintf("f%d", i), fmt.Sprint(i))
		d := storetest.NewDataset(t, pub, fmt.Sprint("d", i), f, shared)
		storetest.MustPut(t, s, d)
		objects = append(objects, d.ID)
		digests[f.Digest], digests[shared.Digest] = true, true
		if i%100 == 0 { // two claims about one subject count once
			for _, role := range []string{"curator", "author"} {
				c := storetest.NewClaim(t, pub, d.ID, pub.DID(), role, 1)
				storetest.MustPut(t, s, c)
				objects = append(objects, c.ID)
			}
			subjects[d.ID] = true
		}
	}

	var gotObjects []protocol.ID
	if err := s.EachObject(func(id protocol.ID) bool { gotObjects = append(gotObjects, id); return true }); err != nil {
		t.Fatal(err)
	}
	if objects = byString(objects); !slices.Equal(gotObjects, objects) {
		t.Errorf("EachObject: %d IDs, want the %d stored, in key order", len(gotObjects), len(objects))
	}

	seen := map[protocol.Digest]bool{}
	var last string
	if err := s.EachFile(func(d protocol.Digest) bool {
		if seen[d] || d.Hex() <= last {
			t.Errorf("EachFile: %s twice or out of order", d)
		}
		seen[d], last = true, d.Hex()
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(digests) {
		t.Errorf("EachFile: %d digests, want %d", len(seen), len(digests))
	}

	gotSubjects := map[protocol.ID]bool{}
	if err := s.EachSubject(func(id protocol.ID) bool {
		if gotSubjects[id] {
			t.Errorf("EachSubject: %s twice", id)
		}
		gotSubjects[id] = true
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(gotSubjects) != len(subjects) {
		t.Errorf("EachSubject: %d subjects, want %d", len(gotSubjects), len(subjects))
	}
	for id := range subjects {
		if !gotSubjects[id] {
			t.Errorf("EachSubject missed %s", id)
		}
	}

	n := 0
	if err := s.EachObject(func(protocol.ID) bool { n++; return n < 3 }); err != nil || n != 3 {
		t.Errorf("EachObject asked to stop after 3 visited %d (err %v)", n, err)
	}
}

func TestWalksEmpty(t *testing.T) {
	s := storetest.Open(t)
	for name, walk := range map[string]func() (int, error){
		"objects":  func() (n int, err error) { err = s.EachObject(func(protocol.ID) bool { n++; return true }); return },
		"files":    func() (n int, err error) { err = s.EachFile(func(protocol.Digest) bool { n++; return true }); return },
		"subjects": func() (n int, err error) { err = s.EachSubject(func(protocol.ID) bool { n++; return true }); return },
	} {
		if n, err := walk(); n != 0 || err != nil {
			t.Errorf("%s of an empty store: %d visits, err %v", name, n, err)
		}
	}
}
