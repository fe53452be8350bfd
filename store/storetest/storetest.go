// Package storetest builds real signed objects for tests of the store and
// of what sits on it: every object is made with a real Ed25519 key, signed,
// encoded and passed through protocol.VerifyObject, exactly as an object
// from the network would be. There are no mocks.
//
// Builders come in pairs: New<Kind> takes the few arguments a test usually
// cares about; New<Kind>With takes the whole predicate, filling in the
// zero fields with the defaults documented on each.
//
// Created times come from a clock that starts at Epoch and ticks one second
// per object made, so objects made by identical calls still differ and
// sort in the order they were made.
package storetest

import (
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Epoch is the created time of the first object the builders make.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var ticks atomic.Int64

// Now returns the next time of the builders' clock: Epoch, then one second
// later at each call.
func Now() time.Time { return Epoch.Add(time.Duration(ticks.Add(1)-1) * time.Second) }

// Key returns the key derived from name: the same name gives the same key
// in every test.
func Key(tb testing.TB, name string) *protocol.Key {
	tb.Helper()
	seed := sha256.Sum256([]byte("storetest key " + name))
	k, err := protocol.KeyFromSeed(seed[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// FileOf returns a file at path name whose bytes are content.
func FileOf(name, content string) protocol.File {
	return protocol.File{Name: name, Digest: protocol.SumDigest([]byte(content)), Size: int64(len(content))}
}

// Sign makes an object of kind k about subjects with predicate pred,
// signed by keys in order, and verifies it like anything received. The
// first key is normally the issuer.
func Sign(tb testing.TB, k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) *protocol.Object {
	tb.Helper()
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		tb.Fatal(err)
	}
	for _, key := range keys {
		key.Sign(env)
	}
	o, err := protocol.VerifyObject(env.Encode())
	if err != nil {
		tb.Fatalf("storetest: built an object that does not verify: %v", err)
	}
	return o
}

// Cosign returns a copy of o with the signatures of keys added to those it
// has: the same object (the same ID) as another party sends it on.
func Cosign(tb testing.TB, o *protocol.Object, keys ...*protocol.Key) *protocol.Object {
	tb.Helper()
	env := &protocol.Envelope{
		PayloadType: o.Envelope.PayloadType,
		Payload:     o.Envelope.Payload,
		Signatures:  append([]protocol.Signature(nil), o.Envelope.Signatures...),
	}
	for _, key := range keys {
		key.Sign(env)
	}
	c, err := protocol.VerifyObject(env.Encode())
	if err != nil {
		tb.Fatalf("storetest: cosigned object does not verify: %v", err)
	}
	return c
}

// Open returns an empty in-memory store, closed when the test ends.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, store.Options{InMemory: true})
}

// OpenDir opens the on-disk store in dir (syncing every commit), closed
// when the test ends.
func OpenDir(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	return open(tb, store.Options{Dir: dir})
}

func open(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// MustPut stores objs one by one and fails the test on any error.
func MustPut(tb testing.TB, s *store.Store, objs ...*protocol.Object) []store.PutResult {
	tb.Helper()
	out := make([]store.PutResult, len(objs))
	for i, o := range objs {
		res, err := s.Put(o)
		if err != nil {
			tb.Fatalf("put %s %s: %v", o.Kind, o.ID, err)
		}
		out[i] = res
	}
	return out
}
