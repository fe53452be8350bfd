//go:build unix

package testnet_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// leak reads node nd's node key from its repo, as a thief who copied the
// key file would (a plain keystore: the libp2p encoding of the key).
func leak(t *testing.T, nd *testnet.Node) *protocol.Key {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nd.Repo, "keys", "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		t.Fatalf("read the leaked key: %v", err)
	}
	raw, err := priv.Raw()
	if err != nil {
		t.Fatal(err)
	}
	k, err := protocol.NewKey(ed25519.PrivateKey(raw))
	if err != nil {
		t.Fatal(err)
	}
	if k.DID() != nd.DID {
		t.Fatalf("the key file of %s holds %s, not its node key %s", nd, k.DID(), nd.DID)
	}
	return k
}

func newKey(t *testing.T) *protocol.Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := protocol.NewKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// offline signs a statement with keys, away from any node, and returns
// the envelope's bytes and the object's ID.
func offline(t *testing.T, kind protocol.ObjectKind, subject []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) ([]byte, protocol.ID) {
	t.Helper()
	env, err := protocol.NewEnvelope(kind, subject, pred)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		k.Sign(env)
	}
	o, err := protocol.ParseObject(env)
	if err != nil {
		t.Fatalf("the offline object does not parse: %v", err)
	}
	return env.Encode(), o.ID
}

// put hands raw to nd with `commons object put -`.
func put(t *testing.T, nd *testnet.Node, raw []byte) api.PutResult {
	t.Helper()
	r := nd.CLIInput(ctx(t), bytes.NewReader(raw), "object", "put", "-", "--json")
	var p api.PutResult
	if err := r.JSON(&p); err != nil {
		t.Fatalf("%s: object put: %v", nd, err)
	}
	return p
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// scenarioKeyCompromise follows docs/OPERATING.md, "A compromised key",
// on stewards nodes 1-3, threshold 2. Node 3's node key leaks after node 3
// published a dataset: the stewards revoke it from the leak's time, so
// what the key signs afterwards shows revoked on every node and node 3
// signs nothing with it; node 3 rotates the revoked key and node 2, a
// steward, endorses the rotation, so the new key speaks for the old key's
// dataset on every node (node 1's claim about it, co-signed by the new
// key, is mutual), while the thief's own rotation of the leaked key, not
// endorsed, joins nothing to it (the thief's claim co-signed by its
// successor stays asserted).
func scenarioKeyCompromise(t *testing.T, s *testnet.Swarm) {
	needStewards(t, s, 3)
	n1, n2, victim := s.Node(1), s.Node(2), s.Node(3)
	elsewhere := s.Node(4) // where the thief puts what it signed
	ds, _ := publish(t, victim, 2, "key compromise scenario "+tag())

	// The key file leaks.
	stolen := leak(t, victim)
	leakedAt := now()
	t.Logf("node 3's key %s leaked at %s", stolen.DID(), leakedAt.Format(time.RFC3339))

	// 1-2. The stewards revoke it from the time of the leak.
	pr := passes(t, n1, n2, "revoke-key", stolen.DID().String(), "--effective", leakedAt.Format(time.RFC3339), "--reason", "key file copied")
	var st *api.GovState
	testnet.Eventually(t, wait, "every node reports the revocation", converged(t, s.Nodes, &st))
	if i := slices.IndexFunc(st.Revoked, func(r api.GovRevoked) bool { return r.DID == stolen.DID() }); i < 0 || st.IsSteward(stolen.DID()) {
		t.Fatalf("after %s: revoked %+v, stewards %v: want %s revoked and no steward", pr, st.Revoked, st.Stewards, stolen.DID())
	}

	// 3. What the key signs afterwards shows revoked everywhere, and the
	// node that holds it signs nothing with it.
	victim.Fails(t, 1, []string{"revoked by this commons' governance"}, "claim", "add", "--subject", ds.ID.String(), "--role", "curator", "--weight", "0.5")
	thiefClaim, thiefClaimID := offline(t, protocol.KindAttribution, protocol.ReferenceSubject(ds.ID),
		protocol.Attribution{Issuer: stolen.DID(), Contributor: stolen.DID(), Role: "author", Weight: 1, Created: now()}, stolen)
	if p := put(t, elsewhere, thiefClaim); p.ID != thiefClaimID {
		t.Fatalf("object put of the thief's claim: %+v", p)
	}
	tRevoked := trustEverywhere(t, s, ds.ID, thiefClaimID, protocol.Revoked, "a claim the leaked key signed after the revocation shows revoked on every node")

	// 5. The honest holder rotates the revoked key, with its daemon
	// stopped; the rotation counts once a steward endorses it.
	victim.StopT(t)
	r := victim.CLI(ctx(t), "key", "rotate", "--note", "after the leak")
	if r.Code != 0 || !strings.Contains(r.Stdout, "the rotation counts once a current steward endorses it") {
		t.Fatalf("key rotate of a revoked key: want it done, saying it counts once a steward endorses it\n%s", r)
	}
	// The output names the command a steward runs; the ID in it is
	// checked below against the object the node serves.
	var rotation protocol.ID
	for _, line := range strings.Split(r.Stdout, "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == "(commons" && f[1] == "endorse" {
			id, err := protocol.ParseID(f[2])
			if err != nil {
				t.Fatalf("key rotate names %q as the rotation: %v", f[2], err)
			}
			rotation = id
		}
	}
	if rotation.IsZero() {
		t.Fatalf("key rotate does not say how to endorse the rotation:\n%s", r)
	}
	victim.StartT(t)
	if victim.DID == stolen.DID() {
		t.Fatalf("node 3 still has the leaked key after key rotate")
	}
	raw, err := victim.API(t).GetObject(ctx(t), rotation, query())
	if err != nil {
		t.Fatal(err)
	}
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := protocol.ParseObject(env); err != nil || o.Rotation == nil || o.Rotation.From != stolen.DID() || o.Rotation.To != victim.DID {
		t.Fatalf("object %s is not a rotation from %s to %s: %v", rotation, stolen.DID(), victim.DID, err)
	}

	// A steward, shown out of band that the rotation is node 3's,
	// endorses it on its own node.
	testnet.Eventually(t, wait, "node 2 holds node 3's rotation", func() error {
		_, err := n2.API(t).GetObject(ctx(t), rotation, query())
		return err
	})
	var endorsed api.Published
	n2.Must(t, &endorsed, "endorse", rotation.String(), "--standard", "key-rotation")

	// The thief rotates the same leaked key to a key of its own, dated
	// before the revocation, and co-signs with it a claim of an accomplice
	// about node 3's dataset: were the rotation counted, the claim would be
	// mutual.
	thief, accomplice := newKey(t), newKey(t)
	thiefRot, thiefRotID := offline(t, protocol.KindRotation, protocol.KeySubject(stolen.DID()),
		protocol.Rotation{From: stolen.DID(), To: thief.DID(), Created: leakedAt.Add(-time.Hour)}, stolen, thief)
	if p := put(t, elsewhere, thiefRot); p.ID != thiefRotID {
		t.Fatalf("object put of the thief's rotation: %+v", p)
	}
	thiefCosigned, thiefCosignedID := offline(t, protocol.KindAttribution, protocol.ReferenceSubject(ds.ID),
		protocol.Attribution{Issuer: accomplice.DID(), Contributor: accomplice.DID(), Role: "author", Weight: 1, Created: now()}, accomplice, thief)
	if p := put(t, elsewhere, thiefCosigned); p.ID != thiefCosignedID {
		t.Fatalf("object put of the accomplice's claim: %+v", p)
	}

	// Node 1's claim about node 3's dataset, co-signed by node 3's new key
	// once node 3 holds the endorsement: the publisher's party and the
	// contributor both signed.
	var claim api.Published
	n1.Must(t, &claim, "claim", "add", "--subject", ds.ID.String(), "--role", "annotator", "--weight", "0.5")
	testnet.Eventually(t, wait, "node 3's new key co-signs node 1's claim as the dataset's publisher", func() error {
		// Without gossip, node 3 asks the network for the claim and for
		// what was said about its rotation (the endorsement).
		if _, err := victim.API(t).GetObject(ctx(t), claim.ID, query()); err != nil {
			return err
		}
		if _, err := victim.API(t).Attribution(ctx(t), rotation, query()); err != nil {
			return err
		}
		var p api.Published
		r := victim.CLI(ctx(t), "claim", "cosign", claim.ID.String(), "--json")
		if err := r.JSON(&p); err != nil {
			return err
		}
		if p.Signers < 2 {
			return fmt.Errorf("%d signers", p.Signers)
		}
		return nil
	})
	if !s.Gossip() {
		// A query fetches only the objects a node lacks, so without
		// gossip a co-signature never reaches a node that holds the claim
		// already: the co-signed envelope is handed to those by hand.
		merged, err := victim.API(t).GetObject(ctx(t), claim.ID, api.QueryOptions{Local: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, nd := range s.Nodes {
			if _, err := nd.API(t).GetObject(ctx(t), claim.ID, api.QueryOptions{Local: true}); err == nil && nd != victim {
				put(t, nd, merged)
			}
		}
		// Nor does the claim's query bring the endorsement of the
		// rotation: every node asks about the rotation first.
		for _, nd := range s.Nodes {
			testnet.Eventually(t, wait, fmt.Sprintf("%s holds node 2's endorsement of the rotation", nd), func() error {
				a, err := nd.API(t).Attribution(ctx(t), rotation, query())
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(a.Endorsements, func(e api.EndorsementView) bool { return e.ID == endorsed.ID }) {
					return fmt.Errorf("endorsements %+v", a.Endorsements)
				}
				return nil
			})
		}
	}
	tHonest := trustEverywhere(t, s, ds.ID, claim.ID, protocol.Mutual, "node 1's claim co-signed by node 3's endorsed successor key is mutual on every node")
	tThief := trustEverywhere(t, s, ds.ID, thiefCosignedID, protocol.Asserted, "the accomplice's claim co-signed by the thief's successor key stays asserted on every node")
	for _, nd := range s.Nodes { // the thief's rotation is held, and counts for nothing
		if _, err := nd.API(t).GetObject(ctx(t), thiefRotID, query()); err != nil {
			t.Fatalf("%s does not hold the thief's rotation %s: %v", nd, thiefRotID, err)
		}
	}
	t.Logf("key %s revoked by %s: its later claim revoked everywhere after %s; rotation %s endorsed by node 2 (%s): node 1's claim mutual everywhere after %s; the thief's rotation %s: its co-signed claim asserted everywhere after %s",
		stolen.DID(), pr, tRevoked, rotation, endorsed.ID, tHonest, thiefRotID, tThief)
}

// scenarioRotate: a steward (node 2) rotates its node key with no leak,
// while a proposal it made is open. Every node ends on one state hash that
// names the new key as steward and not the old one, the old key's seat
// handed on and its yes vote with it: node 1's vote then passes the
// proposal at threshold 2.
func scenarioRotate(t *testing.T, s *testnet.Swarm) {
	n1, n2 := s.Node(1), s.Node(2)
	needStewards(t, s, 2)
	old := n2.DID
	name := "rotate-" + tag()
	var p api.GovPublished
	n2.Must(t, &p, "gov", "propose", "set-param", name, "yes")
	if p.Status != "open" {
		t.Fatalf("node 2's proposal: %+v, want open", p)
	}
	holdsProposal(t, n1, p.ID)

	n2.StopT(t)
	var rot node.Rotated
	if err := n2.CLI(ctx(t), "key", "rotate", "--note", "yearly", "--json").JSON(&rot); err != nil {
		t.Fatal(err)
	}
	if rot.From != old || rot.To.IsZero() || rot.GovUpdate.IsZero() || rot.Revoked {
		t.Fatalf("key rotate of a steward's key: %+v, want the seat handed on by a governance update", rot)
	}
	n2.StartT(t)
	if n2.DID != rot.To || n2.PeerID != rot.PeerID {
		t.Fatalf("node 2 after the rotation: %s %s, want %s %s", n2.DID, n2.PeerID, rot.To, rot.PeerID)
	}
	var st *api.GovState
	took := testnet.Eventually(t, wait, "every node has one state naming the new key as steward, with the old key's vote", func() error {
		if err := converged(t, s.Nodes, &st)(); err != nil {
			return err
		}
		pp := st.Proposal(p.ID)
		switch {
		case !st.IsSteward(rot.To) || st.IsSteward(old):
			return fmt.Errorf("stewards %v", st.Stewards)
		case pp == nil || !slices.Equal(pp.Yes, []protocol.DID{rot.To}):
			return fmt.Errorf("proposal %s: %+v", p.ID, pp)
		case !slices.Contains(st.Rotated, api.GovRotated{From: old, To: rot.To, Update: rot.GovUpdate}):
			return fmt.Errorf("rotated %+v", st.Rotated)
		}
		return nil
	})
	var v api.GovPublished
	n1.Must(t, &v, "gov", "vote", p.ID.String(), "yes")
	if v.Status != "passed" {
		t.Fatalf("node 1's vote beside the moved vote: %+v, want passed", v)
	}
	testnet.Eventually(t, wait, "every node agrees after the vote", converged(t, s.Nodes, &st))
	if st.Params[name] != "yes" {
		t.Fatal(errors.New("the passed param is not in the state"))
	}
	t.Logf("node 2's key %s rotated to %s (update %s): %d nodes on %s after %s; the moved vote and node 1's passed %s", old, rot.To, rot.GovUpdate, s.N(), st.StateHash, took, p.ID)
}
