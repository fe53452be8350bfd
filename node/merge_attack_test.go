package node

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/protocoltest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// Attacks through the signatures of an envelope, by a client of the API
// with nothing but `object put` and keys made at no cost.

// apiClient serves n's API and returns a client of it and the server's
// URL.
func apiClient(t *testing.T, n *Node) (*api.Client, string) {
	t.Helper()
	srv := httptest.NewServer(n.Handler(""))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, repo.APIFile), []byte(strings.TrimPrefix(srv.URL, "http://")+"\n"))
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv.URL
}

// poisoned returns raw with the signatures of keys added.
func poisoned(t *testing.T, raw []byte, keys []*protocol.Key) []byte {
	t.Helper()
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		k.Sign(env)
	}
	return env.Encode()
}

// readsWork reads dataset id every way a user or a peer does: object get,
// dataset show, dataset list, and the fetch server's source. Each envelope
// served must be one a receiver accepts.
func readsWork(t *testing.T, c *api.Client, n *Node, id protocol.ID) {
	t.Helper()
	ctx := context.Background()
	raw, err := c.GetObject(ctx, id, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatalf("object get: %v", err)
	}
	if _, err := protocol.VerifyObject(raw); err != nil {
		t.Errorf("object get serves an envelope a receiver refuses: %v", err)
	}
	if _, err := c.Dataset(ctx, id, api.QueryOptions{Local: true}); err != nil {
		t.Errorf("dataset show: %v", err)
	}
	if list, err := c.Datasets(ctx); err != nil || !slices.ContainsFunc(list, func(d api.DatasetSummary) bool { return d.ID == id }) {
		t.Errorf("dataset list: %v, %v", list, err)
	}
	served, err := storeSource{n.store}.Envelope(id)
	if err != nil {
		t.Fatalf("fetch source: %v", err)
	}
	if _, err := protocol.VerifyObject(served); err != nil {
		t.Errorf("the fetch server serves an envelope a receiver refuses: %v", err)
	}
}

// Two copies of a dataset with 31 throwaway signatures each, sent through
// POST /v1/objects, used to leave an envelope of 63 signatures that every
// read of the dataset refused. The copies are accepted, the signatures
// without a role dropped; on a claim whose roles cannot be judged yet, the
// merge over the limit is refused (413) and the stored copy stays.
func TestObjectPutPoisoning(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	c, _ := apiClient(t, n)
	d := mustDataset(t, n, "birds")
	raw, err := c.GetObject(ctx, d.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, prefix := range []string{"first", "second"} {
		res, err := c.PutObject(ctx, poisoned(t, raw, storetest.Keys(t, prefix, 31)))
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
		if res.Added != 0 || res.Signers != 1 {
			t.Errorf("copy %d: %+v, want nothing added to the publisher's signature", i, res)
		}
	}
	readsWork(t, c, n, d.ID)

	alice := storetest.Key(t, "alice")
	claim := storetest.NewClaim(t, alice, protocol.ObjectID([]byte("not here")), alice.DID(), "author", 1)
	if _, err := c.PutObject(ctx, storetest.Cosign(t, claim, storetest.Keys(t, "first", 31)...).Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx, storetest.Cosign(t, claim, storetest.Keys(t, "second", 31)...).Envelope.Encode())
	if protocol.KindOf(err) != protocol.TooLarge || !strings.Contains(err.Error(), "63 signatures, over the limit of 32") {
		t.Errorf("second copy of the claim: %v, want too large", err)
	}
	if raw, err := c.GetObject(ctx, claim.ID, api.QueryOptions{Local: true}); err != nil {
		t.Error(err)
	} else if o, err := protocol.VerifyObject(raw); err != nil || len(o.Envelope.Signatures) != 32 {
		t.Errorf("claim after the refused merge: %v", err)
	}
}

// Through the bulk API: poisoned copies in one upload, then another upload
// with a third copy among good lines. Every good line is stored and
// reported ok; a line that the store refuses fails alone.
func TestBulkPoisoning(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	c, url := apiClient(t, n)
	d := mustDataset(t, n, "birds")
	raw, _ := c.GetObject(ctx, d.ID, api.QueryOptions{Local: true})
	alice, mallory := storetest.Key(t, "alice"), storetest.Key(t, "mallory")
	orphan := storetest.NewClaim(t, alice, protocol.ObjectID([]byte("not here")), alice.DID(), "author", 1)
	good := storetest.NewClaim(t, alice, d.ID, alice.DID(), "author", 1)

	bulk := func(lines ...[]byte) []api.PutResult {
		t.Helper()
		results, _, _ := postBulk(t, url, bytes.NewReader(append(bytes.Join(lines, []byte("\n")), '\n')))
		if len(results) != len(lines) {
			t.Fatalf("%d results for %d lines", len(results), len(lines))
		}
		out := make([]api.PutResult, len(results))
		for i, r := range results {
			out[i] = r.PutResult
		}
		return out
	}
	first := bulk(
		poisoned(t, raw, storetest.Keys(t, "first", 31)),
		poisoned(t, raw, storetest.Keys(t, "second", 31)),
		storetest.Cosign(t, orphan, storetest.Keys(t, "first", 31)...).Envelope.Encode(),
		storetest.Cosign(t, orphan, storetest.Keys(t, "second", 31)...).Envelope.Encode(), // 63: refused
	)
	for i, r := range first {
		if bad := i == 3; bad != (r.Error != "") {
			t.Errorf("first upload, line %d: %+v", i+1, r)
		}
	}
	if e := first[3].Error; !strings.HasPrefix(e, "line 4:") || !strings.Contains(e, "over the limit of 32") {
		t.Errorf("line 4: error %q", e)
	}
	second := bulk(
		good.Envelope.Encode(),
		poisoned(t, raw, storetest.Keys(t, "third", 31)),
		storetest.NewRevocation(t, mallory, good.ID, "vandal").Envelope.Encode(), // forbidden
		storetest.NewEndorsement(t, mallory, good.ID, "checked").Envelope.Encode(),
	)
	for i, r := range second {
		if bad := i == 2; bad != (r.Error != "") {
			t.Errorf("second upload, line %d: %+v", i+1, r)
		}
	}
	if !second[0].New || !second[3].New {
		t.Errorf("good lines not stored: %+v", second)
	}
	readsWork(t, c, n, d.ID)
}

// A store written by an earlier version may hold a dataset merged past
// the limits. The node reads it (object get, dataset show, dataset list,
// fetch), and keeps reading it after a restart.
func TestOldStorePoisonedDataset(t *testing.T) {
	ctx := context.Background()
	r, err := repo.Init(filepath.Join(t.TempDir(), "repo"), repo.InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	st, err := store.Open(store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	d := mustDataset(t, New(r, st, nil), "birds")
	o, err := st.Object(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.WriteRaw(t, data, map[string][]byte{"o/" + d.ID.String(): storetest.OverLimits(o, storetest.Keys(t, "junk", 62))})

	for restart := range 2 {
		st := storetest.OpenDir(t, data)
		n := New(r, st, nil)
		c, _ := apiClient(t, n)
		readsWork(t, c, n, d.ID)
		if v, err := c.Dataset(ctx, d.ID, api.QueryOptions{Local: true}); err != nil || len(v.Signers) != 1 {
			t.Errorf("restart %d: dataset show: %+v, %v; want the publisher's signature alone", restart, v.Signers, err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

var wantErr = protocoltest.WantErr
