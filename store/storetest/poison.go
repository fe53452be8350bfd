package storetest

import (
	"fmt"
	"testing"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Keys returns n keys derived from prefix: throwaway keys that an
// attacker makes by the thousand at no cost.
func Keys(tb testing.TB, prefix string, n int) []*protocol.Key {
	tb.Helper()
	keys := make([]*protocol.Key, n)
	for i := range keys {
		keys[i] = Key(tb, fmt.Sprintf("%s %d", prefix, i))
	}
	return keys
}

// OverLimits returns the encoded envelope of o with the signatures of keys
// added, however many: what earlier versions of the store could write by
// merging copies, and what no decoder of the wire form accepts.
func OverLimits(o *protocol.Object, keys []*protocol.Key) []byte {
	env := &protocol.Envelope{
		PayloadType: o.Envelope.PayloadType,
		Payload:     o.Envelope.Payload,
		Signatures:  append([]protocol.Signature(nil), o.Envelope.Signatures...),
	}
	for _, k := range keys {
		k.Sign(env)
	}
	return env.Encode()
}

// WriteRaw sets each key of kv to its value in the Badger directory of a
// closed store, as an earlier version of the store or a damaged disk could
// have left them.
func WriteRaw(tb testing.TB, dir string, kv map[string][]byte) {
	tb.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		tb.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		for k, v := range kv {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
}
