package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// Rotated says what RotateKey did.
type Rotated struct {
	Name     string       `json:"name"`
	From     protocol.DID `json:"from"`
	To       protocol.DID `json:"to"`
	Rotation protocol.ID  `json:"rotation"`
	// GovUpdate is the governance update that hands From's seat to To,
	// when From was a steward.
	GovUpdate protocol.ID `json:"gov_update,omitzero"`
	// PeerID is the node's peer ID from the next start, when the node key
	// was rotated: the host key is the node key (SPEC.md §1.2).
	PeerID string `json:"peer_id,omitempty"`
	// Resumed is set when an interrupted rotation was finished.
	Resumed bool `json:"resumed,omitempty"`
	// Revoked is set when governance revoked the old key: the rotation
	// counts only once a current steward endorses it (SPEC.md §4.6).
	Revoked bool `json:"revoked,omitempty"`
}

// RotateKey replaces the key called name (the node key when name is "")
// by a new one, with the daemon stopped (SPEC.md §3.4, §4.6, §6.1, §8.5):
//
//  1. a new key is made and a rotation from the old key to it, signed by
//     both, is checked, then the new key is written beside the old one
//     (keys/NAME.key.next) and the rotation stored;
//  2. when the old key is a steward of the node's commons, a governance
//     update by the old key hands its seat to the new one;
//  3. the old key moves to keys/retired/ and the new one takes its name.
//
// The daemon publishes the rotation and the update when it next starts.
// A rotation interrupted after step 1 is finished by running it again,
// with the same new key. A key that governance revoked may be rotated, the
// one thing it still signs: the rotation counts only once a current
// steward endorses it (§4.6), and a revoked key holds no seat to hand on.
func RotateKey(dir, name, note string, ask repo.PassphraseAsker, log *slog.Logger) (Rotated, error) {
	if name == "" {
		name = repo.NodeKeyName
	}
	if err := repo.CheckKeyName(name); err != nil {
		return Rotated{}, err
	}
	r, err := repo.OpenAsking(dir, ask)
	if err != nil {
		return Rotated{}, err
	}
	st, err := store.Open(store.Options{Dir: r.DataDir(), Logger: log})
	if err != nil {
		if strings.Contains(err.Error(), "directory lock") {
			return Rotated{}, protocol.E("rotate key", protocol.Exists, "a daemon is using repo %s: stop it first, rotate, then start it again", dir)
		}
		return Rotated{}, err
	}
	defer st.Close()
	return New(r, st, log).rotateKey(name, note)
}

func (n *Node) rotateKey(name, note string) (Rotated, error) {
	const op = "rotate key"
	ks := n.repo.Keys
	old, err := ks.Get(name)
	if err != nil {
		return Rotated{}, err
	}
	// A revoked key signs nothing, but this: a rotation that involves it
	// counts only once a current steward endorses it (SPEC.md §4.6), so
	// its honest holder can ask the stewards to carry its identity on.
	_, revoked := n.policy().KeyRevokedAt(old.DID())
	next, resumed, err := ks.ReadNext(name)
	if err != nil {
		return Rotated{}, err
	}
	if next == nil {
		if next, err = newKey(); err != nil {
			return Rotated{}, err
		}
	}
	env, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(old.DID()),
		protocol.Rotation{From: old.DID(), To: next.DID(), Note: note, Created: n.created()})
	if err != nil {
		return Rotated{}, err
	}
	old.Sign(env)
	next.Sign(env)
	// The door, before anything is written: a note the rules refuse
	// changes nothing.
	if _, err := protocol.ParseObject(env); err != nil {
		return Rotated{}, fmt.Errorf("%s: nothing was changed: %w", op, err)
	}
	if !resumed {
		if err := ks.WriteNext(name, next); err != nil {
			return Rotated{}, err
		}
	}
	res, _, err := n.Ingest(env.Encode())
	if err != nil {
		return Rotated{}, fmt.Errorf("%s: the new key is kept in %s; run the command again to finish: %w", op, ks.NextPath(name), err)
	}
	out := Rotated{Name: name, From: old.DID(), To: next.DID(), Rotation: res.ID, Resumed: resumed, Revoked: revoked}
	if out.GovUpdate, err = n.rotateSteward(old, env); err != nil {
		return out, fmt.Errorf("%s: the rotation %s is stored and the new key kept in %s; run the command again to finish: %w", op, res.ID, ks.NextPath(name), err)
	}
	if err := ks.Retire(name, old); err != nil {
		return out, fmt.Errorf("%s: keep the old key: %w (nothing was replaced; run the command again to finish)", op, err)
	}
	if err := ks.PromoteNext(name); err != nil {
		return out, fmt.Errorf("%s: %w", op, err)
	}
	if name == repo.NodeKeyName {
		pid, err := repo.PeerIDOf(next)
		if err != nil {
			return out, err
		}
		out.PeerID = pid.String()
	}
	return out, nil
}

func newKey() (*protocol.Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return protocol.NewKey(priv)
}

// rotateSteward hands old's seat to the rotation's new key by a
// governance update (SPEC.md §8.5), when old is a steward; it returns the
// zero ID otherwise. A rotation whose new key is a steward already (an
// interrupted rotation run again) needs no update.
func (n *Node) rotateSteward(old *protocol.Key, rotation *protocol.Envelope) (protocol.ID, error) {
	gv := n.gov
	if gv == nil {
		return protocol.ID{}, nil
	}
	o, err := protocol.ParseObject(rotation)
	if err != nil {
		return protocol.ID{}, err
	}
	gv.mu.Lock()
	state := gv.g.State()
	if !state.IsStewardKey(old.DID()) || state.IsStewardKey(o.Rotation.To) {
		gv.mu.Unlock()
		return protocol.ID{}, nil
	}
	u, err := gov.NewRotation(n.repo.Network, old, gv.g.Parents(), n.created(), rotation)
	gv.mu.Unlock()
	if err != nil {
		return protocol.ID{}, err
	}
	a, err := n.admitGov(u.Encode(), u.ID)
	if err != nil {
		return protocol.ID{}, err
	}
	if _, err := n.addGovUpdate(a, ""); err != nil {
		return protocol.ID{}, err
	}
	if !n.govState().IsStewardKey(o.Rotation.To) {
		return u.ID, protocol.E("rotate key", protocol.Invalid, "the governance update %s was stored but the fold left it out; see `commons gov log`", u.ID)
	}
	n.publishGov(u)
	return u.ID, nil
}
