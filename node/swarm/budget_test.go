package swarm

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol/protocoltest"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var budgetEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// defaults returns the budgets of a node's config with no storage section
// (node.Storage's defaults), changed by change when not nil.
func defaults(change func(*Budgets)) Budgets {
	b := Budgets{
		SignerObjects: 1000, SignerBytes: 64 << 20, PeerObjects: 4000, PeerBytes: 256 << 20,
		StrangerObjects: 8000, StrangerBytes: 512 << 20, MinFree: 0.10, Period: time.Hour,
	}
	if change != nil {
		change(&b)
	}
	return b
}

var randomDID = protocoltest.RandomDID

// TestBudgetWatermark: past the watermark — a fraction of the filesystem
// free, or the store's size — no stranger's object is admitted and no
// bucket is charged; a disk that cannot be read leaves the budgets alone
// in charge; a reading stands for diskCheckInterval.
func TestBudgetWatermark(t *testing.T) {
	cases := []struct {
		name string
		lim  Budgets
		disk DiskState
		err  error
		want bool
	}{
		{"plenty free", defaults(nil), DiskState{Free: 50, Total: 100}, nil, false},
		{"below the default tenth", defaults(nil), DiskState{Free: 9, Total: 100}, nil, true},
		{"at the configured fraction", defaults(func(b *Budgets) { b.MinFree = 0.5 }), DiskState{Free: 50, Total: 100}, nil, false},
		{"below the configured fraction", defaults(func(b *Budgets) { b.MinFree = 0.5 }), DiskState{Free: 49, Total: 100}, nil, true},
		{"filesystem unknown", defaults(nil), DiskState{Store: 1 << 40}, nil, false},
		{"store at its maximum", defaults(func(b *Budgets) { b.MaxBytes = 1000 }), DiskState{Free: 90, Total: 100, Store: 1000}, nil, true},
		{"store under its maximum", defaults(func(b *Budgets) { b.MaxBytes = 1000 }), DiskState{Free: 90, Total: 100, Store: 999}, nil, false},
		{"unreadable disk", defaults(func(b *Budgets) { b.MaxBytes = 1 }), DiskState{}, errors.New("statfs: no such file"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{budgetEpoch}
			lim := c.lim
			lim.SignerObjects = 1
			b := NewBudget(BudgetOptions{Budgets: lim, Now: clock.now, Probe: func() (DiskState, error) { return c.disk, c.err }})
			if got := b.PastWatermark(); got != c.want {
				t.Fatalf("past the watermark: %v, want %v", got, c.want)
			}
			signer := randomDID(t)
			want := WithinBudget
			if c.want {
				want = PastWatermark
			}
			if got := b.Admit("p", signer, 10); got != want {
				t.Fatalf("admit: %s, want %s", got, want)
			}
			if got := b.signers.left(signer.String(), clock.now()); c.want && got.objects != 1 {
				t.Errorf("past the watermark the signer was charged: %+v left", got)
			}
		})
	}

	t.Run("a reading stands ten seconds", func(t *testing.T) {
		clock := &fakeClock{budgetEpoch}
		disk, reads := DiskState{Free: 50, Total: 100}, 0
		b := NewBudget(BudgetOptions{Budgets: defaults(nil), Now: clock.now, Probe: func() (DiskState, error) { reads++; return disk, nil }})
		if b.PastWatermark() {
			t.Fatal("past the watermark with half the disk free")
		}
		disk.Free = 1
		clock.advance(diskCheckInterval - time.Second)
		if b.PastWatermark() || reads != 1 {
			t.Fatalf("read %d times within the interval", reads)
		}
		clock.advance(time.Second)
		if !b.PastWatermark() || reads != 2 {
			t.Fatalf("not read again after the interval (%d reads)", reads)
		}
		if d, err := b.DiskNow(); err != nil || d.Free != 1 || reads != 2 {
			t.Fatalf("diskNow: %+v, %v, %d reads", d, err, reads)
		}
	})
}

// TestBudgetTableBounded: a table never holds more than budgetTableSize
// buckets, forgetting the full ones first.
func TestBudgetTableBounded(t *testing.T) {
	tab := newBudgetTable(allowance{2, 100}, time.Hour)
	now := budgetEpoch
	for i := range budgetTableSize {
		tab.take(fmt.Sprint("k", i), allowance{1, 1}, now)
	}
	tab.take("drained", allowance{2, 100}, now) // replaces the fullest
	if len(tab.buckets) != budgetTableSize {
		t.Fatalf("%d buckets, want %d", len(tab.buckets), budgetTableSize)
	}
	if left := tab.left("drained", now); left.objects != 0 {
		t.Fatalf("the new bucket: %+v", left)
	}
	now = now.Add(time.Hour)
	tab.take("later", allowance{1, 1}, now) // every bucket is full again: all forgotten
	if len(tab.buckets) != 1 {
		t.Errorf("%d buckets after an hour, want 1", len(tab.buckets))
	}
}
