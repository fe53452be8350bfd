package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// openNode opens the node of the repo in dir over its on-disk store, as
// the daemon does, and closes it with the test.
func openNode(t *testing.T, dir string) *Node {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(r, st, nil)
}

// rotationsFrom returns the stored rotations whose old key is d.
func rotationsFrom(t *testing.T, n *Node, d protocol.DID) []*protocol.Object {
	t.Helper()
	ids, err := n.store.BySigner(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []*protocol.Object
	for _, id := range ids {
		o, err := n.store.Object(id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind == protocol.KindRotation && o.Rotation.From == d {
			out = append(out, o)
		}
	}
	return out
}

// initRepo makes a repo of no network in a fresh directory.
func initRepo(t *testing.T) (string, *repo.Repo) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := repo.Init(dir, repo.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// newRepoKey adds a key called name to r's keystore.
func newRepoKey(t *testing.T, r *repo.Repo, name string) *protocol.Key {
	t.Helper()
	k, err := r.Keys.New(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRotateNamedKey(t *testing.T) {
	dir, r := initRepo(t)
	alice := newRepoKey(t, r, "alice")
	got, err := RotateKey(dir, "alice", "yearly rotation", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "alice" || got.From != alice.DID() || got.To == alice.DID() || got.To.IsZero() || got.PeerID != "" || got.Resumed || !got.GovUpdate.IsZero() {
		t.Fatalf("rotate = %+v", got)
	}
	n := openNode(t, dir)
	now, err := n.repo.Keys.Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	if now.DID() != got.To {
		t.Errorf("alice is now %s, want the new key %s", now.DID(), got.To)
	}
	if n.repo.NodeKey.DID() != r.NodeKey.DID() {
		t.Error("rotating alice changed the node key")
	}
	retired, err := n.repo.Keys.Retired()
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 1 || retired[0].Name != "alice" || retired[0].Key.DID() != alice.DID() {
		t.Errorf("retired keys = %+v, want alice's old key", retired)
	}
	if !n.repo.Keys.Has(alice.DID()) || !n.repo.Keys.Has(got.To) {
		t.Error("the keystore does not know both of alice's keys")
	}
	rots := rotationsFrom(t, n, alice.DID())
	if len(rots) != 1 || rots[0].ID != got.Rotation || rots[0].Rotation.To != got.To || rots[0].Rotation.Note != "yearly rotation" ||
		!rots[0].Envelope.SignedBy(alice.DID()) || !rots[0].Envelope.SignedBy(got.To) {
		t.Errorf("stored rotations from alice: %+v", rots)
	}
	if _, err := os.Stat(n.repo.Keys.NextPath("alice")); !os.IsNotExist(err) {
		t.Errorf("alice.key.next is left behind: %v", err)
	}
	keys, err := n.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[1].Name != "alice" || keys[1].DID != got.To || keys[1].Retired || keys[2].DID != alice.DID() || !keys[2].Retired {
		t.Errorf("key list = %+v, want node, alice (new), alice (retired)", keys)
	}
}

func TestRotateNodeKeyChangesPeerID(t *testing.T) {
	dir, r := initRepo(t)
	got, err := RotateKey(dir, "", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "node" || got.From != r.NodeKey.DID() || again.NodeKey.DID() != got.To || again.PeerID.String() != got.PeerID || again.PeerID == r.PeerID {
		t.Errorf("rotate = %+v; reopened: node key %s, peer %s (was %s)", got, again.NodeKey.DID(), again.PeerID, r.PeerID)
	}
}

// A rotation refused at the door (here, a note with a terminal escape)
// writes nothing: no new key, no object, the old key in place.
func TestRotateRefusedChangesNothing(t *testing.T) {
	dir, r := initRepo(t)
	before := readFile(t, r.Keys.Path("node"))
	_, err := RotateKey(dir, "", "retired \x1b]0;owned\x07", nil, nil)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "note") {
		t.Fatalf("rotate with a control character in the note: %v, want invalid, naming the note", err)
	}
	if _, err := RotateKey(dir, "nobody", "", nil, nil); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("rotate an unknown key: %v, want not found", err)
	}
	if _, err := RotateKey(dir, "Bad Name", "", nil, nil); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("rotate a bad key name: %v, want invalid", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, repo.KeysDir))
	if len(entries) != 1 || string(readFile(t, r.Keys.Path("node"))) != string(before) {
		t.Errorf("keys after refused rotations: %v", entries)
	}
	n := openNode(t, dir)
	if rots := rotationsFrom(t, n, r.NodeKey.DID()); len(rots) != 0 {
		t.Errorf("a refused rotation was stored: %+v", rots)
	}
}

func TestRotateRefusesWhileDaemonRuns(t *testing.T) {
	dir, r := initRepo(t)
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = RotateKey(dir, "", "", nil, nil)
	if !protocol.IsKind(err, protocol.Exists) || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("rotate while the store is open: %v, want exists, stop it first", err)
	}
	if _, err := os.Stat(r.Keys.NextPath("node")); !os.IsNotExist(err) {
		t.Error("a refused rotation left a new key")
	}
}

// A rotation interrupted once the new key is written is finished by
// running it again, with that key: a rotation to a key the node does not
// keep would hand the identity to no one.
func TestRotateResumesWithTheWrittenKey(t *testing.T) {
	dir, r := initRepo(t)
	alice := newRepoKey(t, r, "alice")
	next, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Keys.WriteNext("alice", next); err != nil {
		t.Fatal(err)
	}
	got, err := RotateKey(dir, "alice", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Resumed || got.From != alice.DID() || got.To != next.DID() {
		t.Errorf("rotate after an interruption = %+v, want resumed to %s", got, next.DID())
	}
}

func TestRotateEncryptedKeystore(t *testing.T) {
	r, alice := encryptedRepo(t, "correct horse")
	got, err := RotateKey(r.Dir, "alice", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := openNode(t, r.Dir)
	path := n.repo.Keys.RetiredPath("alice", alice)
	for _, p := range []string{n.repo.Keys.Path("alice"), path} {
		if !keyFileEncrypted(t, p) {
			t.Errorf("%s is not encrypted", p)
		}
	}
	now, err := n.repo.Keys.Get("alice")
	if err != nil || now.DID() != got.To {
		t.Fatalf("alice after rotation: %v, %v", now, err)
	}
	if old, ok, err := n.repo.Keys.RetiredByDID(alice.DID()); err != nil || !ok || old.DID() != alice.DID() {
		t.Errorf("retired alice: %v %v %v", old, ok, err)
	}
}

// The holder of a retired key can still withdraw what it issued; the new
// key cannot, since only a claim's issuer withdraws it (SPEC.md §3.6).
func TestRevokeWithRetiredKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := repo.Init(dir, repo.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := openNode(t, dir)
	ds := mustDataset(t, n, "corpus")
	claim, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "curator", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	n.store.Close()
	got, err := RotateKey(dir, "", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n = openNode(t, dir)
	rv, err := n.Revoke(ctx, claim.ID, api.RevokeRequest{Reason: "entered by mistake"})
	if err != nil {
		t.Fatal(err)
	}
	if rv.Signer != got.From {
		t.Errorf("revocation signed by %s, want the retired key %s", rv.Signer, got.From)
	}
	if _, err := n.NewKey(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Revoke(ctx, claim.ID, api.RevokeRequest{Reason: "x", As: "bob"}); !protocol.IsKind(err, protocol.Forbidden) {
		t.Errorf("revoke as another key: %v, want forbidden", err)
	}
}
