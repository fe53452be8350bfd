package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// TestLeakedKeyAttack: a key leaks. Its thief signs a claim dated before
// the time from which governance then revokes the key, hoping that the
// date saves it; and a node that holds the key would co-sign with it.
// Across the swarm the backdated claim shows revoked, as does an earlier
// claim of the key that no one witnessed, while one that the subject's
// publisher co-signed keeps its level (SPEC §4.5); no node signs or
// co-signs with the key any more, even one revoked from a future time
// (SPEC §8.9).
func TestLeakedKeyAttack(t *testing.T) {
	nodes := govSwarm(t, 4, 3, 2, nil)
	ctx := t.Context()
	publisher, holder := nodes[2], nodes[3] // holder keeps the key that leaks
	ds := mustDataset(t, publisher.Node, "corpus")
	leaked, err := holder.repo.Keys.New("laptop")
	if err != nil {
		t.Fatal(err)
	}
	now := holder.created()
	effective := now.Add(-time.Hour) // the leak, as governance dates it

	claim := func(created time.Time, role string) *protocol.Envelope {
		t.Helper()
		env, err := protocol.NewEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(ds.ID), protocol.Attribution{
			Issuer: leaked.DID(), Contributor: leaked.DID(), Role: role, Weight: 0.5, Created: created,
		})
		if err != nil {
			t.Fatal(err)
		}
		leaked.Sign(env)
		return env
	}
	put := func(n *netNode, env *protocol.Envelope) protocol.ID {
		t.Helper()
		p, err := n.PutObject(ctx, env.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	// Before the leak, the key's holder made two claims; the publisher
	// co-signed one of them: that claim is mutual, the key being its
	// contributor.
	witnessed := put(holder, claim(now.Add(-3*time.Hour), "annotator"))
	alone := put(holder, claim(now.Add(-3*time.Hour), "curator"))
	waitFor(t, "the holder's claim reaches the publisher", func() bool { ok, _ := publisher.store.Has(witnessed); return ok })
	if _, err := publisher.Cosign(ctx, witnessed, ""); err != nil {
		t.Fatal(err)
	}
	// The thief dates its claim between the two.
	backdated := put(nodes[1], claim(now.Add(-2*time.Hour), "author"))

	revoke := propose(t, nodes[0], api.GovProposeRequest{Action: "revoke-key", DID: leaked.DID().String(), Effective: effective.Format(time.RFC3339), Reason: "laptop stolen"})
	waitFor(t, "the revocation reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(revoke.ID); return ok })
	if v := vote(t, nodes[1], revoke.ID, true); v.Status != "passed" {
		t.Fatalf("revoke-key: %+v, want passed", v)
	}
	sameState(t, nodes)

	want := map[protocol.ID]protocol.Trust{witnessed: protocol.Mutual, alone: protocol.Revoked, backdated: protocol.Revoked}
	for i, n := range nodes {
		waitFor(t, "the claims and the publisher's co-signature reach every node", func() bool {
			a, err := n.Attribution(ctx, ds.ID, api.QueryOptions{Local: true})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range a.Contributors {
				if _, ok := want[c.Claim]; ok && (c.Claim != witnessed || len(c.Signers) == 2) {
					n++
				}
			}
			return n == len(want)
		})
		a, err := n.Attribution(ctx, ds.ID, api.QueryOptions{Local: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.Contributors {
			if w, ok := want[c.Claim]; ok && c.Trust != w {
				t.Errorf("node %d: claim %s (%s, created %s): trust %s, want %s", i, c.Claim, c.Role, c.Created.Format(time.RFC3339), c.Trust, w)
			}
		}
	}

	// The key signs nothing more, co-signatures included.
	refused := func(what string, err error, key protocol.DID) {
		t.Helper()
		if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), key.String()) || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("%s with a revoked key: %v, want forbidden, naming %s and its revocation", what, err, key)
		}
	}
	_, err = holder.Cosign(ctx, backdated, "laptop")
	refused("cosign", err, leaked.DID())
	_, err = holder.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "editor", Weight: 0.1, As: "laptop"})
	refused("claim add", err, leaked.DID())

	// A key revoked from a time still to come signs nothing either, from
	// the moment the node knows of its revocation.
	later, err := holder.repo.Keys.New("phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "editor", Weight: 0.1, As: "phone"}); err != nil {
		t.Fatalf("claim add before any revocation: %v", err)
	}
	revoke = propose(t, nodes[0], api.GovProposeRequest{Action: "revoke-key", DID: later.DID().String(), Effective: now.Add(24 * time.Hour).Format(time.RFC3339), Reason: "phone to be retired"})
	waitFor(t, "the revocation reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(revoke.ID); return ok })
	vote(t, nodes[1], revoke.ID, true)
	waitFor(t, "the holder knows of the revocation", func() bool { _, ok := holder.govState().KeyRevokedAt(later.DID()); return ok })
	for name, sign := range map[string]func() error{
		"cosign": func() error { _, err := holder.Cosign(ctx, alone, "phone"); return err },
		"claim add": func() error {
			_, err := holder.AddClaim(ctx, api.AddClaimRequest{Subject: ds.ID, Role: "editor", Weight: 0.1, As: "phone"})
			return err
		},
		"endorse": func() error {
			_, err := holder.Endorse(ctx, api.EndorseRequest{Subject: ds.ID, Standard: "checked", As: "phone"})
			return err
		},
		"derive": func() error {
			_, err := holder.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("an artifact")), Inputs: []protocol.ID{ds.ID}, Activity: "trained-on", As: "phone"})
			return err
		},
		"dataset add": func() error {
			_, err := holder.AddDataset(context.Background(), api.AddDatasetRequest{Name: "x", License: "CC0-1.0", Files: []api.FileEntry{fileEntry("a", "a")}, As: "phone"})
			return err
		},
	} {
		refused(name, sign(), later.DID())
	}
}
