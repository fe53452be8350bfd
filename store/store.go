package store

import (
	"log/slog"

	"github.com/commons-p2p/commons/protocol"
)

// SKELETON: signatures are the contract between store/ and node/; bodies are
// being written.

// Options configure Open. Defaults are documented next to each field.
type Options struct {
	Dir      string       // the Badger directory; ignored when InMemory
	InMemory bool         // keep everything in memory (tests); default false
	NoSync   bool         // do not fsync each commit; default false: acknowledged writes survive kill -9
	Logger   *slog.Logger // default: discard
}

// Store is the Badger index of a node.
type Store struct{}

func Open(opts Options) (*Store, error)                                { panic("unimplemented") }
func (s *Store) Close() error                                          { panic("unimplemented") }
func (s *Store) Put(o *protocol.Object) (PutResult, error)             { panic("unimplemented") }
func (s *Store) PutBatch(objs []*protocol.Object) ([]PutResult, error) { panic("unimplemented") }
func (s *Store) Envelope(id protocol.ID) (*protocol.Envelope, error)   { panic("unimplemented") }
func (s *Store) Object(id protocol.ID) (*protocol.Object, error)       { panic("unimplemented") }
func (s *Store) Has(id protocol.ID) (bool, error)                      { panic("unimplemented") }
func (s *Store) Attribution(subject protocol.ID, p protocol.Policy) (*Attribution, error) {
	panic("unimplemented")
}
func (s *Store) Locate(d protocol.Digest) ([]Location, error)           { panic("unimplemented") }
func (s *Store) Datasets() ([]*protocol.Object, error)                  { panic("unimplemented") }
func (s *Store) Parents(id protocol.ID) ([]protocol.ID, error)          { panic("unimplemented") }
func (s *Store) Children(id protocol.ID) ([]protocol.ID, error)         { panic("unimplemented") }
func (s *Store) ClaimsAbout(subject protocol.ID) ([]protocol.ID, error) { panic("unimplemented") }
func (s *Store) BySigner(d protocol.DID) ([]protocol.ID, error)         { panic("unimplemented") }
func (s *Store) ByContributor(d protocol.DID) ([]protocol.ID, error)    { panic("unimplemented") }
