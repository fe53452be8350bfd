package node

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// TestAddDatasetRefusesHostileRecords publishes through the node what
// another node's user could not then read safely, or what adds up wrong:
// each is refused as invalid, and nothing is stored.
func TestAddDatasetRefusesHostileRecords(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	huge := func(name string) api.FileEntry {
		e := fileEntry(name, name)
		e.Size = math.MaxInt64
		return e
	}
	for _, tc := range []struct {
		name string
		req  api.AddDatasetRequest
		word string
	}{
		{"sizes overflow", api.AddDatasetRequest{Name: "big", License: "MIT", Files: []api.FileEntry{huge("a"), huge("b")}}, "add up to more than"},
		{"escape in name", api.AddDatasetRequest{Name: "x\x1b[2J", License: "MIT", Files: []api.FileEntry{fileEntry("a", "a")}}, "control character"},
		{"invisible name", api.AddDatasetRequest{Name: "\u200b\u3164", License: "MIT", Files: []api.FileEntry{fileEntry("a", "a")}}, "no visible character"},
		{"override in a path", api.AddDatasetRequest{Name: "d", License: "MIT", Files: []api.FileEntry{fileEntry("report\u202etxt.exe", "a")}}, "bidirectional control"},
		{"NFC collision", api.AddDatasetRequest{Name: "d", License: "MIT", Files: []api.FileEntry{fileEntry("caf\u00e9", "a"), fileEntry("cafe\u0301", "b")}}, "NFC"},
		{"file and directory", api.AddDatasetRequest{Name: "d", License: "MIT", Files: []api.FileEntry{fileEntry("a", "a"), fileEntry("a/b", "b")}}, "a directory of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.AddDataset(ctx, tc.req)
			if err == nil || protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), tc.word) {
				t.Fatalf("AddDataset: %v, want an invalid error naming %q", err, tc.word)
			}
		})
	}
	if ds, err := n.Datasets(ctx); err != nil || len(ds) != 0 {
		t.Errorf("stored %d datasets (%v), want none", len(ds), err)
	}
	// The largest total is accepted, and summed without overflow.
	max := fileEntry("a", "a")
	max.Size = math.MaxInt64 - 1
	p, err := n.AddDataset(ctx, api.AddDatasetRequest{Name: "largest", License: "MIT", Files: []api.FileEntry{max, fileEntry("b", "b")}})
	if err != nil || p.Bytes != math.MaxInt64 {
		t.Fatalf("AddDataset of 2^63-1 bytes: %+v, %v", p, err)
	}
	ds, err := n.Datasets(ctx)
	if err != nil || len(ds) != 1 || ds[0].Bytes != math.MaxInt64 {
		t.Errorf("Datasets: %+v, %v; want one of %d bytes", ds, err, int64(math.MaxInt64))
	}
	v, err := n.Dataset(ctx, p.ID, api.QueryOptions{Local: true})
	if err != nil || v.Bytes != math.MaxInt64 {
		t.Errorf("Dataset: bytes %d, %v", v.Bytes, err)
	}
}
