package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestDatasetsOrder checks the order of Datasets: oldest first, and
// datasets created in the same second in the order of their IDs' text.
func TestDatasetsOrder(t *testing.T) {
	s := storetest.Open(t)
	pub := storetest.Key(t, "publisher")
	early, late := storetest.Now(), storetest.Now()
	var want, same []*protocol.Object
	for i := range 8 {
		same = append(same, storetest.NewDatasetWith(t, pub, protocol.Dataset{Name: fmt.Sprint("same second ", i), Created: late}))
	}
	first := storetest.NewDatasetWith(t, pub, protocol.Dataset{Name: "first", Created: early})
	storetest.MustPut(t, s, same...)
	storetest.MustPut(t, s, first)
	slices.SortFunc(same, func(a, b *protocol.Object) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	want = append([]*protocol.Object{first}, same...)
	got, err := s.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d datasets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Errorf("dataset %d: %s (%s), want %s (%s)", i, got[i].ID, got[i].Dataset.Name, want[i].ID, want[i].Dataset.Name)
		}
	}
}
