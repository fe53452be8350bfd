package store

import (
	"fmt"
	"testing"
)

// TestIDFilter checks that the filter never forgets an ID, also past the
// capacity it was made for, and that it rarely claims an ID it was not
// given.
func TestIDFilter(t *testing.T) {
	const added = 3 * minFilterCapacity // three parts
	f := newIDFilter(0)
	for i := range added {
		if i%2 == 0 {
			f.add(fmt.Sprint("id ", i))
		} else {
			f.addBytes([]byte(fmt.Sprint("id ", i)))
		}
	}
	if len(f.parts) < 2 {
		t.Fatalf("%d parts after %d IDs, want the filter grown", len(f.parts), added)
	}
	for i := range added {
		if !f.mayHave(fmt.Sprint("id ", i)) {
			t.Fatalf("forgot id %d", i)
		}
	}
	claimed := 0
	const others = 100000
	for i := range others {
		if f.mayHave(fmt.Sprint("other ", i)) {
			claimed++
		}
	}
	// About 1% per part, and the parts are checked one after the other.
	if rate := float64(claimed) / others; rate > 0.04 {
		t.Errorf("%.2f%% false positives, want about 1%% per part (%d parts)", 100*rate, len(f.parts))
	}
}

// TestKnownIDsWhileBuilding checks that IDs stored while Open's build runs
// are in the filter handed over, and that a failed build leaves no filter.
func TestKnownIDsWhileBuilding(t *testing.T) {
	k := knownIDs{building: true}
	k.learn("stored while building")
	if k.unheardOf("anything") {
		t.Fatal("unheard of before the filter is built")
	}
	built := newIDFilter(0)
	built.add("stored before")
	k.handOver(built)
	for _, id := range []string{"stored before", "stored while building"} {
		if k.unheardOf(id) {
			t.Errorf("%q unheard of after the handover", id)
		}
	}
	if !k.unheardOf("never stored") {
		t.Log("a false positive; possible, but unlikely for one ID")
	}
	k.learn("stored after")
	if k.unheardOf("stored after") {
		t.Error("an ID stored after the handover is unheard of")
	}

	failed := knownIDs{building: true}
	failed.learn("x")
	failed.handOver(nil)
	if failed.unheardOf("y") || failed.noted != nil || failed.building {
		t.Errorf("after a failed build: %+v, want no filter and nothing noted", failed)
	}
}
