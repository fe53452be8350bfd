package licence

import (
	"testing"

	"github.com/commons-p2p/commons/protocol"
	st "github.com/commons-p2p/commons/store/storetest"
)

// BenchmarkReport10000Ancestors: the licence answer over a lineage of
// 10,000 datasets, a hundred generations of a hundred, each naming two
// of the generation before.
func BenchmarkReport10000Ancestors(b *testing.B) {
	s := st.Open(b)
	k := st.Key(b, "publisher")
	var prev []protocol.ID
	for g := range 100 {
		var gen []protocol.ID
		for i := range 100 {
			d := protocol.Dataset{Name: "d", License: "CC-BY-4.0"}
			if g > 0 {
				d.Parents = []protocol.ID{prev[i], prev[(i+1)%100]}
			}
			o := st.NewDatasetWith(b, k, d, st.FileOf("f", string(rune(g*100+i))))
			st.MustPut(b, s, o)
			gen = append(gen, o.ID)
		}
		prev = gen
	}
	top := st.NewDatasetWith(b, k, protocol.Dataset{Name: "top", License: "CC-BY-SA-4.0", Parents: prev})
	st.MustPut(b, s, top)
	b.ResetTimer()
	for b.Loop() {
		r, err := Report(s, nil, top.ID)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Upstream) != 10000 {
			b.Fatalf("%d upstream", len(r.Upstream))
		}
	}
}
