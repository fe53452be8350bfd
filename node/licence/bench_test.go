package licence

import (
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	st "github.com/commons-p2p/commons/store/storetest"
)

// BenchmarkReport10000Ancestors: the licence answer over a lineage of
// 10,000 datasets, a hundred generations of a hundred, each naming two
// of the generation before.
// lineage10000 stores a lineage of 10,000 datasets, a hundred generations
// of a hundred, each naming two of the generation before, each with a
// claim; and the dataset made from the last generation.
func lineage10000(b *testing.B) (*store.Store, protocol.ID) {
	s := st.Open(b)
	k, c := st.Key(b, "publisher"), st.Key(b, "contributor")
	var prev []protocol.ID
	for g := range 100 {
		var gen []protocol.ID
		for i := range 100 {
			d := protocol.Dataset{Name: "d", License: "CC-BY-4.0"}
			if g > 0 {
				d.Parents = []protocol.ID{prev[i], prev[(i+1)%100]}
			}
			o := st.NewDatasetWith(b, k, d, st.FileOf("f", string(rune(g*100+i))))
			st.MustPut(b, s, o, st.NewClaim(b, c, o.ID, c.DID(), "author", 1))
			gen = append(gen, o.ID)
		}
		prev = gen
	}
	top := st.NewDatasetWith(b, k, protocol.Dataset{Name: "top", License: "CC-BY-SA-4.0", Parents: prev})
	st.MustPut(b, s, top)
	return s, top.ID
}

func BenchmarkReport10000Ancestors(b *testing.B) {
	s, top := lineage10000(b)
	b.ResetTimer()
	for b.Loop() {
		r, err := Report(s, nil, nil, top)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Upstream) != 10000 {
			b.Fatalf("%d upstream", len(r.Upstream))
		}
	}
}

// BenchmarkNotice10000Ancestors: the notice over the same lineage, every
// ancestor's contributors read.
func BenchmarkNotice10000Ancestors(b *testing.B) {
	s, top := lineage10000(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Notice(s, nil, nil, top, protocol.Asserted); err != nil {
			b.Fatal(err)
		}
	}
}
