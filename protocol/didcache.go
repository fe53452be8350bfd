package protocol

import "sync"

// didCacheSize bounds the DIDs remembered by parseDIDText. A few keys sign
// and issue most of what a node receives; a flood of new ones only evicts.
const didCacheSize = 4096

// didCache remembers the DIDs that parseDIDText has parsed: base58
// decoding is the dearest part of reading a small envelope once the JSON
// is read in one pass, and the same signers recur. It holds only DIDs
// that parsed; a refusal is worked out, and worded, every time. Being a
// memo of a pure function, it changes how fast parseDIDText answers,
// never what: the package stays pure.
var didCache = struct {
	sync.RWMutex
	m map[string]DID
}{m: make(map[string]DID)}

// parseDIDText is ParseDID of text, remembering the result.
func parseDIDText(text []byte) (DID, error) {
	didCache.RLock()
	d, ok := didCache.m[string(text)]
	didCache.RUnlock()
	if ok {
		return d, nil
	}
	d, err := ParseDID(string(text))
	if err != nil {
		return DID{}, err
	}
	didCache.Lock()
	if len(didCache.m) >= didCacheSize {
		for k := range didCache.m { // an arbitrary one: map order is random
			delete(didCache.m, k)
			break
		}
	}
	didCache.m[string(text)] = d
	didCache.Unlock()
	return d, nil
}
