package node

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// rotateOn makes a rotation from n's node key to a new key, signed by both,
// and ingests it on n as `key rotate` stores it; it returns the new key.
func rotateOn(t *testing.T, n *netNode) (*protocol.Key, protocol.ID) {
	t.Helper()
	next := mustKey(t)
	old := n.repo.NodeKey
	env, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(old.DID()),
		protocol.Rotation{From: old.DID(), To: next.DID(), Created: n.created()})
	if err != nil {
		t.Fatal(err)
	}
	old.Sign(env)
	next.Sign(env)
	res, _, err := n.Ingest(env.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return next, res.ID
}

// claimOn makes n, fetching the dataset first, claim an annotator's
// share of it with its node key.
func claimOn(t *testing.T, n *netNode, ds protocol.ID) api.Published {
	t.Helper()
	if _, err := n.Dataset(t.Context(), ds, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	claim, err := n.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds, Role: "annotator", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	return claim
}

// cosignOn adds key's signature to the stored object id on n.
func cosignOn(t *testing.T, n *netNode, id protocol.ID, key *protocol.Key) {
	t.Helper()
	env, err := n.store.Envelope(id)
	if err != nil {
		t.Fatal(err)
	}
	key.Sign(env)
	if _, _, err := n.Ingest(env.Encode()); err != nil {
		t.Fatal(err)
	}
}

func trustOfClaim(t *testing.T, a *api.Attribution, claim protocol.ID) protocol.Trust {
	t.Helper()
	i := slices.IndexFunc(a.Contributors, func(c api.Contributor) bool { return c.Claim == claim })
	if i < 0 {
		t.Fatalf("attribution lists no claim %s: %+v", claim, a.Contributors)
	}
	return a.Contributors[i].Trust
}

// TestSearchFindsRotationOfASigner: a claim about a dataset is co-signed
// by the successor of the dataset's publisher. A node that never saw the
// rotation (gossip is off) learns it from the DHT when it asks for the
// attribution: the co-signature then counts as the publisher's, as on
// the nodes that hold the rotation (SPEC.md §4.6, §7.5).
func TestSearchFindsRotationOfASigner(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{})
	publisher, contributor, reader := nodes[0], nodes[1], nodes[2]
	ctx := t.Context()
	ds := mustDataset(t, publisher.Node, "broadcast archive")
	next, rotation := rotateOn(t, publisher)
	waitAnnounced(t, publisher)
	claim := claimOn(t, contributor, ds.ID)
	cosignOn(t, contributor, claim.ID, next)
	waitAnnounced(t, contributor)

	local, err := contributor.Attribution(ctx, ds.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := trustOfClaim(t, local, claim.ID); got != protocol.Asserted {
		t.Fatalf("on a node without the rotation the successor's co-signature counts: %s, want asserted", got)
	}
	got, err := reader.Attribution(ctx, ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if tr := trustOfClaim(t, got, claim.ID); tr != protocol.Mutual {
		t.Errorf("attribution on a node that searched: %s, want mutual (the contributor and the publisher's successor signed)", tr)
	}
	if ok, _ := reader.store.Has(rotation); !ok {
		t.Error("the reader did not store the rotation it found")
	}
}

// rotationListing answers every rotations request with list, whatever the
// key: a peer that passes off other objects as the rotations asked for.
type rotationListing struct {
	storeSource
	list []protocol.ID
}

func (s rotationListing) Rotations(_ protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return pageOf(s.list, after, limit)
}

// TestRotationsAnswerCheckedAgainstQuestion: asked for the rotations of a
// key, a peer lists a rotation of other keys and a dataset. The asker
// stores neither and penalises the peer (SPEC.md §7.3).
func TestRotationsAnswerCheckedAgainstQuestion(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, hostile := nodes[0], nodes[1]
	ctx := t.Context()
	ds := mustDataset(t, hostile.Node, "asked about")
	claim, err := hostile.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "author", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	stranger := mustKey(t)
	cosignOn(t, hostile, claim.ID, stranger) // the victim will ask for the stranger's rotations
	a, b := mustKey(t), mustKey(t)
	env, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(a.DID()), protocol.Rotation{From: a.DID(), To: b.DID(), Created: hostile.created()})
	if err != nil {
		t.Fatal(err)
	}
	a.Sign(env)
	b.Sign(env)
	unrelated, _, err := hostile.Ingest(env.Encode())
	if err != nil {
		t.Fatal(err)
	}
	other := mustDataset(t, hostile.Node, "unrelated")
	// The hostile peer announces itself as a holder of the stranger's
	// rotations, and lists what it likes.
	if err := hostile.net.DHT().Provide(ctx, protocol.RotationsKey(stranger.DID()), true); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, hostile)
	src := rotationListing{storeSource: storeSource{hostile.store}, list: []protocol.ID{unrelated.ID, other.ID}}
	fetch.NewServer(hostile.repo.Network, src, fetch.ServerOptions{}).Register(hostile.Host())

	if _, err := victim.Attribution(ctx, ds.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []protocol.ID{unrelated.ID, other.ID} {
		if ok, _ := victim.store.Has(id); ok {
			t.Errorf("stored %s, which is not a rotation of %s", id, stranger.DID())
		}
	}
	if s := victim.scoreOf(hostile.Host().ID()); s >= 0 {
		t.Errorf("the peer that listed unrelated objects as rotations has score %v, want a penalty", s)
	}
}

// TestDaemonPublishesOwnRotationsAtStart: `key rotate` stores a rotation
// while the daemon is stopped; at its next start the daemon publishes it
// on the announce topic, and a connected node stores it at once.
func TestDaemonPublishesOwnRotationsAtStart(t *testing.T) {
	genesis := testGenesis(t, "rotations", randomDID(t))
	o := swarmOptions{gossip: true}
	listener := startNetNode(t, filepath.Join(t.TempDir(), "listener"), genesis, o)
	dir := filepath.Join(t.TempDir(), "rotated")
	if _, err := repo.Init(dir, repo.InitOptions{Genesis: genesis, APIAddr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	got, err := RotateKey(dir, "", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	startNetNode(t, dir, genesis, o, listener)
	waitFor(t, "the rotation to arrive by gossip", func() bool {
		ok, _ := listener.store.Has(got.Rotation)
		return ok
	})
}

// putQuietly stores o on n and announces it, as a node that fetched it
// would: no gossip, so other nodes learn it only by asking.
func putQuietly(t *testing.T, n *netNode, o *protocol.Object) {
	t.Helper()
	res, err := n.store.Put(o)
	if err != nil {
		t.Fatal(err)
	}
	n.net.Stored(o, res, swarm.FromFetch)
}

// TestSearchFindsEndorsementOfRevokedKeysRotation: governance revoked the
// publisher's key; its rotation to a new key counts only because a
// steward endorsed it (SPEC.md §4.6). A node that holds neither learns
// both when it asks for the attribution: the search fetches the claims
// about a rotation that touches a revoked key.
func TestSearchFindsEndorsementOfRevokedKeysRotation(t *testing.T) {
	nodes := govSwarm(t, 3, 1, 1, nil)
	steward, holder, reader := nodes[0], nodes[1], nodes[2]
	ctx := t.Context()
	old, next := mustKey(t), mustKey(t)
	ds := storetest.NewDataset(t, old, "archive")
	if _, _, err := holder.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	propose(t, steward, api.GovProposeRequest{Action: "revoke-key", DID: old.DID().String(), Effective: "2000-01-01T00:00:00Z", Reason: "key leaked"})
	for _, n := range nodes {
		waitFor(t, "the revocation on every node", func() bool { _, revoked := n.policy().KeyRevokedAt(old.DID()); return revoked })
	}
	rotation := storetest.NewRotation(t, old, next, "recovered")
	endorsement := storetest.NewEndorsement(t, steward.repo.NodeKey, rotation.ID, "key-rotation")
	putQuietly(t, holder, rotation)
	putQuietly(t, holder, endorsement)
	waitAnnounced(t, holder)

	claim := claimOn(t, reader, ds.ID)
	cosignOn(t, reader, claim.ID, next)
	got, err := reader.Attribution(ctx, ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if tr := trustOfClaim(t, got, claim.ID); tr != protocol.Mutual {
		t.Errorf("a claim co-signed by the endorsed successor of a revoked publisher: %s, want mutual", tr)
	}
	if ok, _ := reader.store.Has(endorsement.ID); !ok {
		t.Error("the reader did not fetch the endorsement of the rotation")
	}
}

// TestCosignFetchesTheClaim: the publisher acknowledges a claim made on
// another node (gossip is off): cosign fetches it first, as a read does.
func TestCosignFetchesTheClaim(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	publisher, contributor := nodes[0], nodes[1]
	ctx := t.Context()
	ds := mustDataset(t, publisher.Node, "curriculum")
	waitAnnounced(t, publisher)
	claim := claimOn(t, contributor, ds.ID)
	waitAnnounced(t, contributor)
	p, err := publisher.Cosign(ctx, claim.ID, "")
	if err != nil {
		t.Fatalf("cosign of a claim held on another node: %v", err)
	}
	if p.Signers != 2 {
		t.Errorf("cosign = %+v, want the claim with two signatures", p)
	}
}

// TestGovRotationStoresTheRotation: a steward's rotate update carries the
// rotation; a node that receives the update holds the rotation as an
// object too, so trust honours it there before the object itself arrives.
func TestGovRotationStoresTheRotation(t *testing.T) {
	nodes := govSwarm(t, 2, 1, 1, nil)
	steward, other := nodes[0], nodes[1]
	waitMesh(t, nodes)
	next := mustKey(t)
	old := steward.repo.NodeKey
	env, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(old.DID()),
		protocol.Rotation{From: old.DID(), To: next.DID(), Created: steward.created()})
	if err != nil {
		t.Fatal(err)
	}
	old.Sign(env)
	next.Sign(env)
	update, err := steward.rotateSteward(old, env)
	if err != nil || update.IsZero() {
		t.Fatalf("rotateSteward = %s, %v", update, err)
	}
	waitFor(t, "the rotate update on the other node", func() bool { return other.govState().IsStewardKey(next.DID()) })
	if held, _ := other.store.Has(env.ID()); !held {
		t.Error("the node that received the rotate update does not hold the rotation")
	}
}
